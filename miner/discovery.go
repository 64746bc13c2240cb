package miner

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/shannon-ops/pocket-relay-miner/query"
)

// KeySource lists the supplier operator addresses this replica holds keys for and signals
// when they change (keys.Manager).
type KeySource interface {
	Addresses() []string
	Subscribe() (changes <-chan struct{}, cancel func())
}

// SupplierQuerier reads a supplier from the chain, uncached (query.Client). It returns an error
// wrapping query.ErrNotFound for an address that is not staked.
type SupplierQuerier interface {
	Supplier(ctx context.Context, operator string) (*sharedtypes.Supplier, error)
}

// SupplierSetter receives the suppliers to own (leader.Ownership).
type SupplierSetter interface {
	SetSuppliers(ids []string)
}

// discoveryConcurrency bounds the supplier queries of one round.
const discoveryConcurrency = 8

// Discovery decides which suppliers the fleet mines: those this replica has a key for that are
// staked on chain for at least one service. It re-checks every Every and whenever the keys
// change, and hands the set to Ownership. A query that fails for any reason but "not found"
// keeps that supplier's previous verdict, so a chain hiccup neither adds nor drops anybody.
type Discovery struct {
	keys  KeySource
	chain SupplierQuerier
	out   SupplierSetter
	every time.Duration
	log   zerolog.Logger

	mu      sync.Mutex
	staked  map[string]bool // last verdict per address
	checked bool            // a round completed
}

// NewDiscovery builds a Discovery; it does no I/O.
func NewDiscovery(keys KeySource, chain SupplierQuerier, out SupplierSetter, every time.Duration, log zerolog.Logger) (*Discovery, error) {
	if keys == nil || chain == nil || out == nil {
		return nil, errors.New("discovery: keys, chain and output are required")
	}
	if every <= 0 {
		return nil, errors.New("discovery: recheck interval must be positive")
	}
	return &Discovery{keys: keys, chain: chain, out: out, every: every, log: log.With().Str("component", "discovery").Logger(),
		staked: map[string]bool{}}, nil
}

// Run checks at once, then on every tick and key change, until ctx ends; it returns nil then.
func (d *Discovery) Run(ctx context.Context) error {
	changes, cancel := d.keys.Subscribe()
	defer cancel()
	t := time.NewTicker(d.every)
	defer t.Stop()
	for {
		d.Check(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-changes:
		}
	}
}

// Check runs one discovery round and hands the result to the output; it returns the
// suppliers to mine, sorted.
func (d *Discovery) Check(ctx context.Context) []string {
	addrs := d.keys.Addresses()
	verdicts := make([]int8, len(addrs)) // 1 staked, -1 not staked, 0 unknown (query failed)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(discoveryConcurrency)
	for i, a := range addrs {
		g.Go(func() error {
			verdicts[i] = d.verdict(gctx, a)
			return nil
		})
	}
	_ = g.Wait()
	if ctx.Err() != nil {
		return nil
	}
	d.mu.Lock()
	prev := d.staked
	d.staked = make(map[string]bool, len(addrs))
	var ids []string
	for i, a := range addrs {
		ok := verdicts[i] > 0 || (verdicts[i] == 0 && prev[a])
		d.staked[a] = ok
		if ok {
			ids = append(ids, a)
		}
		if ok != prev[a] || !d.checked {
			d.log.Info().Str("supplier", a).Bool("mined", ok).Msg("supplier discovery verdict")
		}
	}
	d.checked = true
	d.mu.Unlock()
	slices.Sort(ids)
	d.out.SetSuppliers(ids)
	return ids
}

func (d *Discovery) verdict(ctx context.Context, addr string) int8 {
	s, err := d.chain.Supplier(ctx, addr)
	switch {
	case errors.Is(err, query.ErrNotFound):
		return -1
	case err != nil:
		if ctx.Err() == nil {
			d.log.Warn().Err(err).Str("supplier", addr).Msg("supplier query failed; keeping the previous verdict")
		}
		return 0
	case s == nil || len(s.Services) == 0:
		return -1
	}
	return 1
}

// Checked reports whether a discovery round completed.
func (d *Discovery) Checked() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.checked
}
