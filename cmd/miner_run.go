package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/shannon-ops/pocket-relay-miner/cache"
	"github.com/shannon-ops/pocket-relay-miner/cache/blocks"
	"github.com/shannon-ops/pocket-relay-miner/cmd/ops"
	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/miner"
	"github.com/shannon-ops/pocket-relay-miner/tx"
)

// addMinerRun makes `miner --config F` run a miner replica.
func addMinerRun(c *cobra.Command) {
	var path string
	c.Flags().StringVar(&path, "config", "", "path to the miner config file")
	blockTime := addBlockTimeFlag(c)
	c.Args = cobra.NoArgs
	c.RunE = func(c *cobra.Command, _ []string) error {
		if path == "" {
			return usageError{errors.New("--config is required")}
		}
		cfg, err := config.LoadMiner(path)
		if err != nil {
			return usageError{err}
		}
		if err := blockTime(&cfg.Common); err != nil {
			return usageError{err}
		}
		return runMiner(c.Context(), cfg, c.ErrOrStderr())
	}
}

// minerStack is every component of a running miner replica.
type minerStack struct {
	*infra
	conn    *grpc.ClientConn
	refresh *cache.Refresher
	miner   *miner.Miner
	probes  []miner.ReadyProbe
	drain   time.Duration
}

func runMiner(parent context.Context, cfg *config.Miner, stderr io.Writer) error {
	log, err := ops.NewLogger(stderr, cfg.Logging.Level, cfg.Logging.Format)
	if err != nil {
		return usageError{err}
	}
	b := Build()
	reg := ops.NewRegistry(b.Version, b.Commit)
	st, err := buildMiner(cfg, log, reg)
	if err != nil {
		return err
	}
	defer st.close()
	return st.run(parent)
}

// run starts the infrastructure and the replica, mines until SIGINT/SIGTERM (or a component
// fails), then stops: readiness false, every supplier's worker stopped (entries it read but did
// not commit stay pending for the next owner), leases released, and only then the block feed,
// caches and Redis. A second signal, or shutdown_timeout, ends the wait.
func (st *minerStack) run(parent context.Context) error {
	rg := startRunGroup(parent, st.ready.SetStopping)
	defer rg.release()
	st.infra.start(rg)
	rg.Go(func(ctx context.Context) error { return miner.RunReadiness(ctx, time.Second, st.probes...) })

	done := make(chan error, 1)
	go func() {
		// Started during a Redis outage, the replica waits for Redis (infra logs which
		// redis.url, and readiness says so) rather than failing at its first command.
		if st.redis.WaitUp(rg.work) != nil {
			done <- nil // stopped before Redis answered
			return
		}
		done <- st.miner.Run(rg.work) // until a signal, or until a component fails
	}()
	var mineErr error
	select {
	case mineErr = <-done:
	case <-rg.work.Done():
		mineErr = st.awaitStop(parent, done)
	}
	st.ready.SetStopping()
	groupErr := rg.stop()
	st.log.Info().Msg("miner stopped")
	return errors.Join(mineErr, groupErr)
}

// awaitStop waits for the replica to stop after its context ended, at most shutdown_timeout
// and until a second signal.
func (st *minerStack) awaitStop(parent context.Context, done <-chan error) error {
	st.log.Info().Dur("timeout", st.drain).Msg("stopping: supplier workers first, then leases")
	again := make(chan os.Signal, 1)
	signal.Notify(again, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(again)
	t := time.NewTimer(st.drain)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-again:
		return errors.New("second signal: exiting without waiting for the supplier workers")
	case <-t.C:
		return fmt.Errorf("supplier workers did not stop within shutdown_timeout %s", st.drain)
	case <-parent.Done():
		return parent.Err()
	}
}

func (st *minerStack) close() {
	if st.conn != nil {
		_ = st.conn.Close()
	}
	st.infra.close()
}

// replicaID is the configured replica id, else hostname-pid.
func replicaID(cfg *config.Miner) string {
	if cfg.ReplicaID != "" {
		return cfg.ReplicaID
	}
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "miner"
	}
	return h + "-" + strconv.Itoa(os.Getpid())
}

// buildMiner constructs every component; nothing runs and nothing connects yet.
func buildMiner(cfg *config.Miner, log zerolog.Logger, reg *prometheus.Registry) (*minerStack, error) {
	in, err := newInfra(&cfg.Common, blocks.Own, log, reg)
	if err != nil {
		return nil, err
	}
	st := &minerStack{infra: in, drain: cfg.ShutdownTimeout}
	if st.drain <= 0 {
		st.drain = 30 * time.Second
	}
	if st.conn, err = dialNode(cfg.PocketNode.GRPCAddr, cfg.PocketNode.GRPCInsecure); err != nil {
		return nil, usageError{fmt.Errorf("pocket_node: %w", err)}
	}
	txs, err := tx.New(cfg.Tx, tx.NewGRPCNode(st.conn), st.query, reg, tx.WithLogger(log),
		tx.WithBlockTime(cfg.PocketNode.BlockTime))
	if err != nil {
		return nil, usageError{fmt.Errorf("tx: %w", err)}
	}
	chain, tk := st.chain, st.tk
	st.refresh = cache.NewRefresher(st.feed.Subscribe(blocks.SubscribeOptions{}), func() bool { return true },
		func(k cache.Kind, err error) { log.Warn().Err(err).Str("kind", string(k)).Msg("cache refresh failed") },
		chain.Live()...)
	mcfg := minerConfig(cfg)
	if mcfg.Fees, err = miner.NewFeeEstimate(cfg.Tx.GasPrices, cfg.Tx.Fees, cfg.Tx.GasLimit, cfg.Tx.GasAdjustment); err != nil {
		return nil, usageError{err}
	}
	height := func() (int64, bool) { b, ok := st.feed.Latest(); return b.Height, ok }
	if st.miner, err = miner.New(mcfg, miner.Deps{
		Redis: st.rdb, Keys: tk, Signers: st.keys, Cache: chain, Query: st.query, Txs: txs,
		Blocks:     func() miner.BlockStream { return st.feed.Subscribe(blocks.SubscribeOptions{}) },
		Height:     height,
		LeaderWork: st.refresh.Run, Registerer: reg, Log: log,
	}); err != nil {
		return nil, usageError{err}
	}
	st.probes = []miner.ReadyProbe{
		{Check: miner.KeysLoaded(st.keys), Set: st.ready.Register("keys").Set},
		{Check: miner.HeightKnown(height), Set: st.ready.Register("blocks").Set},
	}
	return st, nil
}

// minerConfig resolves the replica's settings from the config file.
func minerConfig(cfg *config.Miner) miner.Config {
	return miner.Config{
		ReplicaID: replicaID(cfg), LeaseTTL: cfg.Leader.LeaseTTL, RenewInterval: cfg.Leader.RenewInterval,
		Consumer: miner.ConsumerConfig{
			BatchSize: cfg.Consumer.BatchSize, BlockTimeout: cfg.Consumer.BlockTimeout, Linger: cfg.Consumer.Linger,
			ReclaimEvery: cfg.Consumer.ReclaimInterval, ReclaimMinIdle: cfg.Consumer.ReclaimIdle,
		},
		ClaimDelayBlocks: cfg.Sessions.ClaimDelayBlocks, ProofDelayBlocks: cfg.Sessions.ProofDelayBlocks,
		SupplierRecheck: cfg.Sessions.SupplierRecheck, BlockTime: cfg.PocketNode.BlockTime,
		StateTTLSessions: int64(cfg.Sessions.StateTTLSessions),
	}
}

// dialNode opens the gRPC connection claims and proofs are broadcast on; it does no I/O.
func dialNode(addr string, plaintext bool) (*grpc.ClientConn, error) {
	creds := insecure.NewCredentials()
	if !plaintext {
		creds = credentials.NewTLS(nil)
	}
	return grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
}
