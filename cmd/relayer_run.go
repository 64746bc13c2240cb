package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/shannon-ops/pocket-relay-miner/cache/blocks"
	"github.com/shannon-ops/pocket-relay-miner/cmd/ops"
	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/query"
	"github.com/shannon-ops/pocket-relay-miner/relayer"
	"github.com/shannon-ops/pocket-relay-miner/relayer/backend"
	"github.com/shannon-ops/pocket-relay-miner/relayer/meter"
	"github.com/shannon-ops/pocket-relay-miner/relayer/publish"
	"github.com/shannon-ops/pocket-relay-miner/relayer/ring"
	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// addRelayerRun makes `relayer --config F` run the relayer.
func addRelayerRun(c *cobra.Command) {
	var path string
	c.Flags().StringVar(&path, "config", "", "path to the relayer config file")
	blockTime := addBlockTimeFlag(c)
	c.Args = cobra.NoArgs
	c.RunE = func(c *cobra.Command, _ []string) error {
		if path == "" {
			return usageError{errors.New("--config is required")}
		}
		cfg, err := config.LoadRelayer(path)
		if err != nil {
			return usageError{err}
		}
		if err := blockTime(&cfg.Common); err != nil {
			return usageError{err}
		}
		return runRelayer(c.Context(), cfg, c.ErrOrStderr())
	}
}

// relayerStack is every component of a running relayer.
type relayerStack struct {
	*infra
	pools   []*backend.Pool
	backlog *publish.Backlog
	srv     *relayer.Server
	drain   time.Duration
}

func runRelayer(parent context.Context, cfg *config.Relayer, stderr io.Writer) error {
	log, err := ops.NewLogger(stderr, cfg.Logging.Level, cfg.Logging.Format)
	if err != nil {
		return usageError{err}
	}
	b := Build()
	reg := ops.NewRegistry(b.Version, b.Commit)
	st, err := buildRelayer(cfg, log, reg)
	if err != nil {
		return err
	}
	defer st.close()
	return st.run(parent)
}

// run starts the infrastructure, serves until SIGINT/SIGTERM (or a component fails), then
// drains: readiness false, in-flight relays finished, post work done, publish backlog flushed,
// and only then the caches, block feed and Redis stop.
func (st *relayerStack) run(parent context.Context) error {
	rg := startRunGroup(parent, st.ready.SetStopping)
	defer rg.release()
	st.infra.start(rg)
	rg.Go(st.backlog.Run)
	for _, p := range st.pools {
		rg.Go(p.Run)
	}

	serveErr := st.srv.Run(rg.work) // until a signal, or until a component fails
	st.ready.SetStopping()
	fctx, cancel := context.WithTimeout(context.WithoutCancel(parent), st.drain)
	flushErr := st.backlog.Flush(fctx)
	cancel()
	groupErr := rg.stop()
	st.log.Info().Msg("relayer stopped")
	return errors.Join(serveErr, flushErr, groupErr)
}

func (st *relayerStack) close() { st.infra.close() }

// heights reports the block feed's latest height.
type heights struct{ f *blocks.Feed }

func (h heights) Height() int64 {
	b, ok := h.f.Latest()
	if !ok {
		return 0
	}
	return b.Height
}

// buildRelayer constructs every component; nothing runs and nothing connects yet.
func buildRelayer(cfg *config.Relayer, log zerolog.Logger, reg *prometheus.Registry) (*relayerStack, error) {
	in, err := newInfra(&cfg.Common, blocks.Follow, log, reg)
	if err != nil {
		return nil, err
	}
	st := &relayerStack{infra: in, drain: cfg.ShutdownTimeout}
	chain, tk := st.chain, st.tk
	backends, err := st.buildBackends(cfg, reg)
	if err != nil {
		return nil, err
	}
	if st.backlog, err = publish.New(transport.NewPublisher(st.rdb, tk), cfg.Publish, log, reg); err != nil {
		return nil, usageError{err}
	}
	mtr, err := st.meterFor(cfg, chain, heights{st.feed}, tk, reg)
	if err != nil {
		return nil, usageError{fmt.Errorf("meter: %w", err)}
	}
	cond := st.ready.Register("relayer")
	st.srv, err = relayer.New(cfg, relayer.Deps{
		Chain: chain, Heights: heights{st.feed}, Keys: relayer.Keys(st.keys), Verifier: ring.New(ring.Config{}),
		Meter: mtr, Publisher: st.backlog, Backends: backends, Registerer: reg, Log: log, Ready: cond.Set,
		RedisUp: st.redis.Up, KeysLoaded: func() bool { return len(st.keys.Addresses()) > 0 },
		Blocks: func() relayer.BlockStream { return st.feed.Subscribe(blocks.SubscribeOptions{}) },
	})
	if err != nil {
		return nil, usageError{err}
	}
	st.onRedisChange = st.srv.RefreshReadiness
	return st, nil
}

func (st *relayerStack) buildBackends(cfg *config.Relayer, reg prometheus.Registerer) (map[string]map[config.RPCType]relayer.Backend, error) {
	m := backend.NewMetrics(reg)
	out := map[string]map[config.RPCType]relayer.Backend{}
	for id, svc := range cfg.Services {
		out[id] = map[config.RPCType]relayer.Backend{}
		for t, bc := range svc.Backends {
			p, err := backend.New(id, t, bc, st.log, m, backend.WithMaxResponseBytes(int64(bc.MaxResponseBytes)))
			if err != nil {
				return nil, usageError{err}
			}
			st.pools = append(st.pools, p)
			out[id][t] = relayer.PoolBackend(p)
		}
	}
	return out, nil
}

// meterFor returns the relay meter: relayer/meter in Redis with budgets from the cached chain,
// or NoMeter when meter.enabled is false.
func (st *relayerStack) meterFor(cfg *config.Relayer, chain relayer.Chain, h relayer.Heights, tk transport.Keys,
	reg prometheus.Registerer) (relayer.Meter, error) {
	if !cfg.Meter.Enabled {
		return relayer.NoMeter{}, nil
	}
	m, err := meter.New(st.rdb, tk, cfg.Meter.FailMode, st.log, reg)
	if err != nil {
		return nil, err
	}
	return relayer.NewStakeMeter(m, chain, h, numSuppliersPerSession(st.query), cfg.PocketNode.BlockTime, cfg.Meter.FailMode == config.FailOpen), nil
}

// numSuppliersPerSession reads the live session param, at most once a minute.
func numSuppliersPerSession(q *query.Client) func(context.Context) (uint64, error) {
	var mu sync.Mutex
	var n uint64
	var at time.Time
	return func(ctx context.Context) (uint64, error) {
		mu.Lock()
		defer mu.Unlock()
		if n > 0 && time.Since(at) < time.Minute {
			return n, nil
		}
		p, err := q.SessionParams(ctx)
		if err != nil {
			return 0, err
		}
		n, at = p.NumSuppliersPerSession, time.Now()
		return n, nil
	}
}
