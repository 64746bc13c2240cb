package miner

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	"github.com/prometheus/client_golang/prometheus"
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

// BalanceQuerier reads an account's balance in one denom, uncached (query.Client).
type BalanceQuerier interface {
	Balance(ctx context.Context, address, denom string) (sdk.Coin, error)
}

// DiscoveryChain is what discovery reads from the chain (query.Client).
type DiscoveryChain interface {
	SupplierQuerier
	BalanceQuerier
}

// UnsettledSource reports whether a supplier has persisted sessions that may still need a claim
// or a proof at height (StateStore.Unsettled; height ≤ 0: unknown).
type UnsettledSource interface {
	Unsettled(ctx context.Context, supplier string, height int64) (bool, error)
}

// SupplierSetter receives the suppliers to own (leader.Ownership).
type SupplierSetter interface {
	SetSuppliers(ids []string)
}

// discoveryConcurrency bounds the supplier queries of one round.
const discoveryConcurrency = 8

// DiscoveryDeps are Discovery's collaborators; all are required.
type DiscoveryDeps struct {
	Keys     KeySource
	Chain    DiscoveryChain
	Sessions UnsettledSource
	// Height returns the newest block height known (the block feed), false while none is.
	Height     func() (int64, bool)
	Out        SupplierSetter
	Registerer prometheus.Registerer
	Log        zerolog.Logger
}

// Discovery decides which suppliers the fleet mines: those this replica has a key for that the
// chain still has work for (see chainVerdict), and those with persisted sessions not yet
// settled, so a supplier that unstakes or loses its services keeps its owner until its last
// sessions are claimed and proved, also across restarts. It re-checks every period and whenever
// the keys change, and hands the set to Ownership. A query that fails for any reason but "not
// found" keeps that supplier's previous verdict, so a chain or Redis hiccup neither adds nor
// drops anybody. Each round also refreshes the operator balance and stake gauges of the
// suppliers it keeps.
type Discovery struct {
	keys     KeySource
	chain    DiscoveryChain
	sessions UnsettledSource
	height   func() (int64, bool)
	out      SupplierSetter
	every    time.Duration
	m        *discoveryMetrics
	log      zerolog.Logger

	mu      sync.Mutex
	staked  map[string]bool // last verdict per address
	checked bool            // a round completed
}

// NewDiscovery builds a Discovery that re-checks every period; it does no I/O.
func NewDiscovery(d DiscoveryDeps, every time.Duration) (*Discovery, error) {
	if d.Keys == nil || d.Chain == nil || d.Sessions == nil || d.Height == nil || d.Out == nil || d.Registerer == nil {
		return nil, errors.New("discovery: keys, chain, sessions, height, output and registerer are required")
	}
	if every <= 0 {
		return nil, errors.New("discovery: recheck interval must be positive")
	}
	m, err := newDiscoveryMetrics(d.Registerer)
	if err != nil {
		return nil, err
	}
	return &Discovery{keys: d.Keys, chain: d.Chain, sessions: d.Sessions, height: d.Height, out: d.Out, every: every, m: m,
		log: d.Log.With().Str("component", "discovery").Logger(), staked: map[string]bool{}}, nil
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

// verdict is one supplier's discovery answer.
type verdict struct {
	v      int8   // 1 mine, -1 do not, 0 unknown (a query failed: keep the previous verdict)
	reason string // why, for the log
}

// Check runs one discovery round and hands the result to the output; it returns the
// suppliers to mine, sorted.
func (d *Discovery) Check(ctx context.Context) []string {
	addrs := d.keys.Addresses()
	height, ok := d.height()
	if !ok {
		height = 0
	}
	verdicts := make([]verdict, len(addrs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(discoveryConcurrency)
	for i, a := range addrs {
		g.Go(func() error {
			verdicts[i] = d.verdict(gctx, a, height)
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
		v := verdicts[i]
		ok := v.v > 0 || (v.v == 0 && prev[a])
		d.staked[a] = ok
		if ok {
			ids = append(ids, a)
		}
		if ok != prev[a] || !d.checked {
			d.log.Info().Str("supplier", a).Bool("mined", ok).Str("reason", v.reason).Msg("supplier discovery verdict")
		}
	}
	for a := range prev {
		if !d.staked[a] {
			d.m.forget(a) // no longer mined: its gauges go, as its other series do
		}
	}
	d.checked = true
	d.mu.Unlock()
	slices.Sort(ids)
	d.out.SetSuppliers(ids)
	return ids
}

// verdict decides one address: mined while the chain has work for it, or while it has
// persisted sessions that are not settled. Redis is read only when the chain alone would not
// keep the supplier.
func (d *Discovery) verdict(ctx context.Context, addr string, height int64) verdict {
	s, err := d.chain.Supplier(ctx, addr)
	chain := chainVerdict(s, err)
	if err != nil && !errors.Is(err, query.ErrNotFound) && ctx.Err() == nil {
		d.log.Warn().Err(err).Str("supplier", addr).Msg("supplier query failed; keeping the previous verdict")
	}
	if chain.v > 0 {
		d.refreshGauges(ctx, addr, s)
		return chain
	}
	unsettled, err := d.sessions.Unsettled(ctx, addr, height)
	switch {
	case err != nil:
		if ctx.Err() == nil {
			d.log.Warn().Err(err).Str("supplier", addr).Msg("unsettled sessions check failed; keeping the previous verdict")
		}
		return verdict{v: 0, reason: "unsettled sessions unknown"}
	case unsettled:
		d.refreshGauges(ctx, addr, s)
		return verdict{v: 1, reason: "unsettled sessions"}
	}
	return chain
}

// chainVerdict says whether the chain still has work for a supplier (poktroll v0.1.35, x/shared
// and x/supplier): a service active now (Services, hydrated at the node's height); any entry of
// its ServiceConfigHistory (a config not active yet is there, and a deactivated one (services
// removed, or all of them on unstake) stays until the proof window of its last session closed:
// EndBlockerPruneSupplierServiceConfigHistory); or an unbonding in progress
// (UnstakeSessionEndHeight set: the supplier stays staked until the unbonding period, longer
// than any proof window, ends). Not found: unstaked and unbonded.
func chainVerdict(s *sharedtypes.Supplier, err error) verdict {
	switch {
	case errors.Is(err, query.ErrNotFound):
		return verdict{v: -1, reason: "not staked"}
	case err != nil:
		return verdict{v: 0, reason: "supplier query failed"}
	case s == nil:
		return verdict{v: -1, reason: "not staked"}
	case len(s.Services) > 0:
		return verdict{v: 1, reason: "staked"}
	case len(s.ServiceConfigHistory) > 0:
		return verdict{v: 1, reason: "service configs not yet pruned"}
	case s.IsUnbonding():
		return verdict{v: 1, reason: "unbonding"}
	}
	return verdict{v: -1, reason: "no services"}
}

// refreshGauges sets the stake gauge from the supplier answer (nil: the query failed) and the
// operator balance gauge from a balance query; a failure leaves the last value.
func (d *Discovery) refreshGauges(ctx context.Context, addr string, s *sharedtypes.Supplier) {
	if s != nil && s.Stake != nil {
		d.m.stake(addr, s.Stake.Amount)
	}
	c, err := d.chain.Balance(ctx, addr, upokt)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Debug().Err(err).Str("supplier", addr).Msg("operator balance query failed")
		}
		return
	}
	d.m.balance(addr, c.Amount)
}

// Checked reports whether a discovery round completed.
func (d *Discovery) Checked() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.checked
}
