package miner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/shannon-ops/pocket-relay-miner/keys"
	"github.com/shannon-ops/pocket-relay-miner/leader"
	"github.com/shannon-ops/pocket-relay-miner/query"
	"github.com/shannon-ops/pocket-relay-miner/transport"
	"github.com/shannon-ops/pocket-relay-miner/tx"
)

// Config sets a replica's identity and timings (config.Miner, resolved).
type Config struct {
	// ReplicaID names this replica in leases and as its stream consumer. Required.
	ReplicaID string
	// LeaseTTL and RenewInterval time the global leader and supplier leases.
	LeaseTTL, RenewInterval time.Duration
	// Consumer reads the streams: BatchSize, BlockTimeout, ReclaimEvery, ReclaimMinIdle.
	// Supplier, Consumer, Fence, Gate and Log are set per supplier.
	Consumer ConsumerConfig
	// ClaimDelayBlocks, ProofDelayBlocks: config sessions.
	ClaimDelayBlocks, ProofDelayBlocks int64
	// SupplierRecheck is the discovery period.
	SupplierRecheck time.Duration
	// BlockTime is the chain's expected block time (session state TTLs).
	BlockTime time.Duration
	// StateTTLSessions keeps session state this many session lengths after settlement.
	StateTTLSessions int64
	// Fees is the gas fee of one claim and one proof (NewFeeEstimate from config tx.*).
	Fees FeeEstimate
	// RestartBackoff is the wait before a failed supplier worker restarts. Default
	// DefaultRestartBackoff.
	RestartBackoff time.Duration
}

// Signers are the supplier keys (keys.Manager).
type Signers interface {
	KeySource
	Get(operator string) (*keys.Signer, bool)
}

// Querier is the uncached chain the miner reads (query.Client).
type Querier interface {
	ChainQuerier
	SupplierQuerier
}

// Deps are the miner's collaborators; cmd builds and runs the infrastructure behind them (the
// Redis client, the block feed, the caches, the key manager) for as long as Run runs.
type Deps struct {
	Redis   redis.UniversalClient
	Keys    transport.Keys
	Signers Signers
	Cache   ChainCache
	Query   Querier
	Txs     Submitter
	// Blocks opens a coalescing (latest-only) subscription to the block feed.
	Blocks func() BlockStream
	// Height returns the newest block height of the feed, false while none is known
	// (discovery: a session past its proof window no longer keeps its supplier owned).
	Height func() (int64, bool)
	// LeaderWork runs while this replica is the global leader (the cache Refresher); it must
	// return when its context ends. Optional.
	LeaderWork func(ctx context.Context) error
	Registerer prometheus.Registerer
	Log        zerolog.Logger
}

// Miner is one replica: the global election, supplier discovery, supplier ownership and a
// worker per owned supplier.
type Miner struct {
	election  *leader.Election
	ownership *leader.Ownership
	discovery *Discovery
	sup       *Supervisor
	lead      func(ctx context.Context) error
	log       zerolog.Logger
}

// New validates cfg and builds the replica; it starts nothing and does no I/O.
func New(cfg Config, d Deps) (*Miner, error) {
	if cfg.ReplicaID == "" {
		return nil, errors.New("miner: replica id is required")
	}
	if d.Redis == nil || d.Signers == nil || d.Cache == nil || d.Query == nil || d.Txs == nil || d.Blocks == nil || d.Height == nil {
		return nil, errors.New("miner: missing dependency")
	}
	if cfg.RestartBackoff <= 0 {
		cfg.RestartBackoff = DefaultRestartBackoff
	}
	// The relays a proof carries are checked as the chain checks them (VerifyProofRelay),
	// which parses their pokt addresses.
	if err := query.SetAccountPrefix(); err != nil {
		return nil, fmt.Errorf("miner: %w", err)
	}
	log := d.Log.With().Str("replica", cfg.ReplicaID).Logger()
	store, err := NewStateStore(d.Redis, d.Keys, StateStoreConfig{BlockTime: cfg.BlockTime, TTLSessions: cfg.StateTTLSessions})
	if err != nil {
		return nil, err
	}
	lm, err := NewLifecycleMetrics(d.Registerer)
	if err != nil {
		return nil, err
	}
	ccfg := cfg.Consumer
	ccfg.Consumer = cfg.ReplicaID
	if ccfg.TreeTTL == nil {
		bt, n := cfg.BlockTime, cfg.StateTTLSessions
		ccfg.TreeTTL = func(h SessionHeader) time.Duration { return TreeTTLBound(h, bt, n) }
	}
	wd := &workerDeps{
		rdb: d.Redis, keys: d.Keys, consumer: ccfg,
		runner: RunnerConfig{ClaimDelayBlocks: cfg.ClaimDelayBlocks, ProofDelayBlocks: cfg.ProofDelayBlocks, Fees: cfg.Fees},
		gate:   NewGate(), store: store, chain: NewChain(d.Cache, d.Query), txs: d.Txs,
		signer: func(s string) (tx.Signer, bool) {
			k, ok := d.Signers.Get(s)
			if !ok {
				return nil, false
			}
			return k, true
		},
		blocks: d.Blocks, cm: NewConsumeMetrics(d.Registerer), lm: lm, backoff: cfg.RestartBackoff, log: log,
	}
	m := &Miner{sup: newSupervisor(wd, log), lead: d.LeaderWork, log: log}
	if m.election, err = leader.NewElection(d.Redis, d.Keys.LeaderLease("global"), cfg.ReplicaID, cfg.LeaseTTL,
		cfg.RenewInterval, log, d.Registerer); err != nil {
		return nil, err
	}
	if m.ownership, err = leader.NewOwnership(d.Redis, d.Keys, cfg.ReplicaID, cfg.LeaseTTL, cfg.RenewInterval,
		m.sup, log, d.Registerer); err != nil {
		return nil, err
	}
	if m.discovery, err = NewDiscovery(DiscoveryDeps{Keys: d.Signers, Chain: d.Query, Sessions: store, Height: d.Height,
		Out: m.ownership, Registerer: d.Registerer, Log: log}, cfg.SupplierRecheck); err != nil {
		return nil, err
	}
	return m, nil
}

// Run runs the replica until ctx ends or a component fails, then stops every supplier's worker
// (before its lease is released) and returns after everything it started has returned.
func (m *Miner) Run(ctx context.Context) error {
	defer m.sup.Stop()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return m.election.Run(gctx, func(lctx context.Context, token int64) error {
			m.log.Info().Int64("token", token).Msg("this replica is the global leader")
			if m.lead == nil {
				<-lctx.Done()
				return nil
			}
			if err := m.lead(lctx); err != nil && lctx.Err() == nil {
				return fmt.Errorf("leader work: %w", err)
			}
			return nil
		})
	})
	g.Go(func() error { return m.ownership.Run(gctx) })
	g.Go(func() error { return m.discovery.Run(gctx) })
	err := g.Wait()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// IsLeader reports whether this replica holds the global lease now.
func (m *Miner) IsLeader() bool { return m.election.IsLeader() }

// Owned returns the suppliers whose worker runs here.
func (m *Miner) Owned() []string { return m.sup.Owned() }

// Discovered reports whether supplier discovery completed a round.
func (m *Miner) Discovered() bool { return m.discovery.Checked() }
