package miner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/shannon-ops/pocket-relay-miner/leader"
	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// Defaults of ConsumerConfig.
const (
	DefaultBatchSize      = 1000
	DefaultBlockTimeout   = time.Second
	DefaultReclaimEvery   = 5 * time.Second
	DefaultReclaimMinIdle = 30 * time.Second
	DefaultLagEvery       = 5 * time.Second
	DefaultRetryBackoff   = 250 * time.Millisecond
	// DefaultTreeTTL is the tree key expiry of a consumer configured without TreeTTL (tests,
	// tools): a day, far beyond the windows of any session on the supported networks.
	DefaultTreeTTL = 24 * time.Hour
	// treeWindowSessions is how many session lengths TreeTTLBound allows, past the session
	// end, for the grace period and the claim and proof windows: every network we know
	// closes the proof window well within one session length of the end.
	treeWindowSessions = 4
)

// TreeTTLBound is the conservative tree key expiry for a session whose windows are not known:
// (1 + treeWindowSessions + ttlSessions) session lengths of blockTime. A relay is committed at
// or after its session's start, so this reaches at least treeWindowSessions session lengths
// past the session end, plus ttlSessions session lengths (the state TTL, config
// sessions.state_ttl_sessions), as StateStore's TTL does past the proof window close.
func TreeTTLBound(h SessionHeader, blockTime time.Duration, ttlSessions int64) time.Duration {
	n := max(h.EndHeight-h.StartHeight+1, 1)
	return time.Duration(n*(1+treeWindowSessions+max(ttlSessions, 1))) * blockTime
}

// ConsumerConfig configures the consumption of one supplier's relay stream.
type ConsumerConfig struct {
	// Supplier is the supplier operator address whose stream is consumed. Required.
	Supplier string
	// Consumer is this reader's name in the consumer group: the replica id, stable across
	// restarts of the replica, so a restarted replica replays its own pending entries at once.
	// Required.
	Consumer string
	// Fence is the supplier lease holding that guards every commit. Required.
	Fence leader.Fence
	// BatchSize is the COUNT of each XREADGROUP and XAUTOCLAIM, the most entries per commit.
	// Default DefaultBatchSize (1000); must be ≥ 1.
	BatchSize int
	// BlockTimeout is the BLOCK of each XREADGROUP; it also bounds how long Run takes to return
	// after its context is cancelled. Default DefaultBlockTimeout (1s).
	BlockTimeout time.Duration
	// ReclaimEvery is the period of the XAUTOCLAIM sweep. Default DefaultReclaimEvery (5s).
	ReclaimEvery time.Duration
	// ReclaimMinIdle is how long an entry must have been pending, unacknowledged, before the
	// sweep takes it over from its consumer (presumed dead). It must exceed the longest batch.
	// Default DefaultReclaimMinIdle (30s).
	ReclaimMinIdle time.Duration
	// LagEvery is the period of the stream lag measurement. Default DefaultLagEvery (5s).
	LagEvery time.Duration
	// RetryBackoff is the wait after a failed read or batch before the next try. Default
	// DefaultRetryBackoff (250ms).
	RetryBackoff time.Duration
	// Linger is the wait after a read of new entries that returned fewer than BatchSize, before
	// the next read: a steady trickle of relays is then applied in batches, not one transaction
	// per relay, since a batch's round trips and commands cost the same for 1 entry or 1000.
	// The batch's commit lands meanwhile. 0 (the default) never waits; the miner sets it from
	// config consumer.linger.
	Linger time.Duration
	// TreeTTL returns the expiry every commit gives a session's tree keys (TreeNodes, TreeMeta),
	// so that a tree orphaned by a crash or a bug cannot live forever: set when the keys have
	// none, otherwise only extended. It must outlive the session's proof window close plus the
	// state TTL; the consumer knows neither the windows nor the current height, so the miner
	// sets it to the conservative TreeTTLBound, and the lifecycle sets the exact expiry when it
	// persists the session state (StateStore.Save). Default: DefaultTreeTTL for every session.
	TreeTTL func(SessionHeader) time.Duration
	// Gate refuses relays of sessions sealed for claiming. Default AcceptAll.
	Gate SessionGate
	// Hooks observe each batch; for tests. Default none.
	Hooks BatchHooks
	// Log receives errors and state changes, never per-relay lines.
	Log zerolog.Logger
}

func (cfg *ConsumerConfig) defaults() error {
	if cfg.Supplier == "" || cfg.Consumer == "" || cfg.Fence.Key == "" {
		return errors.New("consumer config: supplier, consumer and fence are required")
	}
	if cfg.BatchSize < 0 {
		return fmt.Errorf("consumer config: batch size %d: must not be negative", cfg.BatchSize)
	}
	if cfg.Linger < 0 {
		return fmt.Errorf("consumer config: linger %s: must not be negative", cfg.Linger)
	}
	setDefault(&cfg.BatchSize, DefaultBatchSize)
	setDefault(&cfg.BlockTimeout, DefaultBlockTimeout)
	setDefault(&cfg.ReclaimEvery, DefaultReclaimEvery)
	setDefault(&cfg.ReclaimMinIdle, DefaultReclaimMinIdle)
	setDefault(&cfg.LagEvery, DefaultLagEvery)
	setDefault(&cfg.RetryBackoff, DefaultRetryBackoff)
	if cfg.TreeTTL == nil {
		cfg.TreeTTL = func(SessionHeader) time.Duration { return DefaultTreeTTL }
	}
	if cfg.Gate == nil {
		cfg.Gate = AcceptAll{}
	}
	if cfg.Hooks == nil {
		cfg.Hooks = noHooks{}
	}
	return nil
}

func setDefault[T int | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// Consumer applies one supplier's relay stream to its session trees while this replica holds
// the supplier's lease. See the package documentation for the guarantees.
type Consumer struct {
	rdb    redis.UniversalClient
	keys   transport.Keys
	cfg    ConsumerConfig
	stream string
	gate   SessionGate
	hooks  BatchHooks
	log    zerolog.Logger
	m      *supplierMetrics

	sleep func(ctx context.Context, d time.Duration) bool // wait; tests replace it

	mu       sync.Mutex       // serializes batches (consume and reclaim) and tree access
	trees    map[string]*Tree // by session id
	flight   *flight          // the batch whose commit is running, nil if none
	deferred error            // a failed flight landed outside apply (flush), for the next apply
}

// NewConsumer validates cfg and builds a consumer; it starts nothing and does no I/O.
func NewConsumer(rdb redis.UniversalClient, keys transport.Keys, cfg ConsumerConfig, metrics *ConsumeMetrics) (*Consumer, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	return &Consumer{
		rdb: rdb, keys: keys, cfg: cfg,
		stream: keys.RelayStream(cfg.Supplier),
		gate:   cfg.Gate,
		hooks:  cfg.Hooks,
		log:    cfg.Log.With().Str("supplier", cfg.Supplier).Logger(),
		m:      metrics.forSupplier(cfg.Supplier),
		trees:  make(map[string]*Tree),
		sleep:  wait,
	}, nil
}

// Run consumes until ctx is cancelled (the lease is lost or the worker stopped) and returns only
// after both of its goroutines, the stream reader and the reclaim sweep, have returned. It
// returns nil after a cancellation, leader.ErrLeaseLost (wrapped) when a commit found the
// lease gone, and a hook's error when a test hook stopped it. Redis errors are retried.
func (c *Consumer) Run(ctx context.Context) error {
	defer c.m.drop()
	if err := transport.EnsureGroup(ctx, c.rdb, c.stream); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return c.consume(gctx) })
	g.Go(func() error { return c.reclaim(gctx) })
	err := g.Wait()
	c.mu.Lock()
	if ferr := c.flush(); ferr != nil {
		err = errors.Join(err, ferr)
	}
	for id, t := range c.trees {
		t.Close()
		delete(c.trees, id)
	}
	c.mu.Unlock()
	if err != nil && ctx.Err() != nil && !isFinal(err) {
		return nil
	}
	return err
}

// consume reads the stream in batches. It first replays this consumer's own pending entries
// (read earlier, never acknowledged: a restart of the same replica), then reads new ones; after
// a failed batch it replays its pending entries again. After a read of new entries that did not
// fill a batch it lingers (ConsumerConfig.Linger) before reading again.
func (c *Consumer) consume(ctx context.Context) error {
	replay := true
	cursor := "0"
	for ctx.Err() == nil {
		start := ">"
		if replay {
			start = cursor
		}
		entries, err := c.read(ctx, start)
		if err == nil && replay {
			if len(entries) == 0 {
				replay = false
				continue
			}
			cursor = entries[len(entries)-1].ID
		}
		if err == nil {
			err = c.apply(ctx, entries)
		}
		if err == nil && !replay && len(entries) > 0 && len(entries) < c.cfg.BatchSize && c.cfg.Linger > 0 {
			// A partial batch: let the stream fill while this batch's commit lands.
			if !c.sleep(ctx, c.cfg.Linger) {
				return ctx.Err()
			}
		}
		if err != nil {
			if isFinal(err) || ctx.Err() != nil {
				return err
			}
			c.log.Warn().Err(err).Msg("stream batch failed; replaying pending entries after a backoff")
			replay, cursor = true, "0"
			if !wait(ctx, c.cfg.RetryBackoff) {
				return ctx.Err()
			}
		}
	}
	return ctx.Err()
}

// read is one XREADGROUP of up to BatchSize entries from start ("0"-based ids replay this
// consumer's pending entries, ">" reads new ones, blocking up to BlockTimeout).
func (c *Consumer) read(ctx context.Context, start string) ([]redis.XMessage, error) {
	res, err := c.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: transport.ConsumerGroup, Consumer: c.cfg.Consumer,
		Streams: []string{c.stream, start}, Count: int64(c.cfg.BatchSize), Block: c.cfg.BlockTimeout,
	}).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, nil
	case redis.HasErrorPrefix(err, "NOGROUP"):
		if gerr := transport.EnsureGroup(ctx, c.rdb, c.stream); gerr != nil {
			return nil, gerr
		}
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read stream %s: %w", c.stream, err)
	}
	if len(res) == 0 {
		return nil, nil
	}
	return res[0].Messages, nil
}

// isFinal reports whether err ends the consumer rather than being retried.
func isFinal(err error) bool {
	var h *hookError
	return errors.Is(err, leader.ErrLeaseLost) || errors.As(err, &h)
}

// wait waits d or until ctx is done, and reports whether d elapsed.
func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Seal closes sessionID to relays and hands its committed tree to the caller, forgetting it: the
// session lifecycle calls it when it claims the session, then reads Root and ProveClosest and
// finally calls Close or Delete. Under the consumer's lock, so that no batch runs between the
// two, it first applies and commits everything the stream holds (drain: this supplier's pending
// entries, whoever holds them, and the undelivered ones), then closes the session in the gate:
// every relay that reached the stream before the seal is in the tree, and none after it can
// change a claimed tree. If that fails (Redis refused a commit or a read) the session stays
// open and the error is returned: the caller seals again later, and the entries concerned are
// still pending. The tree is opened from Redis if it is not in memory; a session with nothing
// committed yields an empty tree.
func (c *Consumer) Seal(ctx context.Context, h SessionHeader) (*Tree, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.drain(ctx); err != nil {
		return nil, fmt.Errorf("seal session %s: %w", h.SessionID, err)
	}
	c.gate.Close(h)
	t, ok := c.trees[h.SessionID]
	if !ok {
		return OpenTree(ctx, c.rdb, c.keys, h)
	}
	delete(c.trees, h.SessionID)
	c.m.trees.Set(float64(len(c.trees)))
	return t, nil
}

// Worker runs a Consumer under a lease context: Start launches it, Stop ends it and waits.
type Worker struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error // written before done is closed
}

// StartWorker runs c.Run under lease, which is cancelled when the supplier's lease is lost.
func StartWorker(lease context.Context, c *Consumer) *Worker {
	ctx, cancel := context.WithCancel(lease)
	w := &Worker{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		w.err = c.Run(ctx)
	}()
	return w
}

// Done is closed once the worker has stopped (by Stop, by its lease, or by an error).
func (w *Worker) Done() <-chan struct{} { return w.done }

// Stop cancels the worker and returns once nothing of it runs any more, with its error. Only
// then may the lease be released.
func (w *Worker) Stop() error {
	w.cancel()
	<-w.done
	return w.err
}
