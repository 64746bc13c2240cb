package miner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/shannon-ops/pocket-relay-miner/leader"
	"github.com/shannon-ops/pocket-relay-miner/query"
	"github.com/shannon-ops/pocket-relay-miner/transport"
	"github.com/shannon-ops/pocket-relay-miner/tx"
)

// BlockStream yields the newest block, skipping heights a slow reader missed (a latest-only
// blocks.Subscription).
type BlockStream interface {
	Next(ctx context.Context) (query.Block, error)
	Close()
}

// DefaultRestartBackoff is the wait before a supplier's worker that failed (other than by
// losing its lease) is started again.
const DefaultRestartBackoff = 2 * time.Second

// workerDeps is what every supplier's worker of a replica shares.
type workerDeps struct {
	rdb      redis.UniversalClient
	keys     transport.Keys
	consumer ConsumerConfig // template: Supplier, Fence, Gate and Log are set per worker
	runner   RunnerConfig   // template: Supplier and Signer are set per worker
	gate     *Gate
	store    *StateStore
	chain    Chain
	txs      Submitter
	signer   func(supplier string) (tx.Signer, bool)
	blocks   func() BlockStream
	cm       *ConsumeMetrics
	lm       *LifecycleMetrics
	backoff  time.Duration
	log      zerolog.Logger
}

// worker mines one supplier while this replica holds its lease: the stream consumer and the
// session lifecycle, the latter driven by a coalescing block subscription.
type worker struct {
	fence  leader.Fence
	cancel context.CancelFunc
	done   chan struct{}
	err    error // written before done is closed
}

// startWorker starts mining supplier under lease, which is cancelled when the lease is lost.
func startWorker(lease context.Context, d *workerDeps, supplier string, fence leader.Fence) *worker {
	ctx, cancel := context.WithCancel(lease)
	w := &worker{fence: fence, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		w.err = d.mine(ctx, supplier, fence)
	}()
	return w
}

// stop returns once nothing of the supplier runs here; only then may the lease be released.
func (w *worker) stop() error {
	w.cancel()
	<-w.done
	return w.err
}

// mine runs the supplier until ctx ends or a fenced write finds the lease lost. Any other
// failure restarts it after a backoff: a held lease never sits idle.
func (d *workerDeps) mine(ctx context.Context, supplier string, fence leader.Fence) error {
	log := d.log.With().Str("supplier", supplier).Int64("fence", fence.Token).Logger()
	log.Info().Msg("supplier worker started")
	defer log.Info().Msg("supplier worker stopped")
	for {
		err := d.mineOnce(ctx, supplier, fence, log)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, leader.ErrLeaseLost):
			log.Warn().Err(err).Msg("supplier lease lost; worker stops")
			return err
		}
		log.Error().Err(err).Dur("backoff", d.backoff).Msg("supplier worker failed; restarting")
		if !wait(ctx, d.backoff) {
			return nil
		}
	}
}

// mineOnce loads the supplier's sessions (priming the gate before any relay is applied), then
// runs the consumer and the block loop until either fails or ctx ends. Everything it started
// has stopped when it returns.
func (d *workerDeps) mineOnce(ctx context.Context, supplier string, fence leader.Fence, log zerolog.Logger) error {
	signer, ok := d.signer(supplier)
	if !ok {
		return fmt.Errorf("no key for supplier %s", supplier)
	}
	ccfg := d.consumer
	ccfg.Supplier, ccfg.Fence, ccfg.Gate, ccfg.Log = supplier, fence, d.gate, d.log
	c, err := NewConsumer(d.rdb, d.keys, ccfg, d.cm)
	if err != nil {
		return err
	}
	trees := newConsumerTrees(supplier, c, d.rdb, d.keys, fence)
	defer trees.Close()
	rcfg := d.runner
	rcfg.Supplier, rcfg.Signer = supplier, signer
	r, err := NewRunner(rcfg, fence, d.store, d.gate, trees, d.chain, d.txs, d.lm, d.log)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.Load(ctx); err != nil {
		return fmt.Errorf("load sessions: %w", err)
	}
	sub := d.blocks()
	defer sub.Close()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return c.Run(gctx) })
	trim := newStreamTrimmer(d.rdb, d.keys, supplier, fence, r.trimSessions, d.cm.trimmed.WithLabelValues(supplier), log)
	g.Go(func() error { return follow(gctx, r, trim, sub, log) })
	return g.Wait()
}

// follow steps the lifecycle on every block it sees, then trims the supplier's stream below the
// entries still needed (at most once per height). Step and trim errors are retried with the
// next block; a lost lease ends it.
func follow(ctx context.Context, r *Runner, trim *streamTrimmer, sub BlockStream, log zerolog.Logger) error {
	for {
		b, err := sub.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("block subscription: %w", err)
		}
		if err := r.OnBlock(ctx, b.Height, b.Hash); err != nil {
			if errors.Is(err, leader.ErrLeaseLost) {
				return err
			}
			if ctx.Err() != nil {
				return nil
			}
			log.Warn().Err(err).Int64("height", b.Height).Msg("lifecycle step failed; retried with the next block")
		}
		if _, err := trim.onBlock(ctx, b.Height); err != nil {
			if errors.Is(err, leader.ErrLeaseLost) {
				return err
			}
			if ctx.Err() != nil {
				return nil
			}
			log.Warn().Err(err).Int64("height", b.Height).Msg("stream trim failed; retried with the next block")
		}
	}
}
