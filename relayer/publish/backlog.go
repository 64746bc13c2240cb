package publish

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// Publisher sends a batch of relay messages to Redis. *transport.Publisher implements it.
// PublishBatch returns the messages that were not published (a prefix of msgs, in order) and an
// error; the backlog retries exactly those.
type Publisher interface {
	PublishBatch(ctx context.Context, msgs []transport.Message) ([]transport.Message, error)
}

// MaxBatch is the most relays one worker sends in one pipeline.
const MaxBatch = 256

// Backlog is the bounded queue between the relay handlers and Redis. Handlers call Enqueue after
// the client has its answer; Run's workers drain the queue in pipelined batches. See doc.go.
type Backlog struct {
	pub    Publisher
	policy config.OverflowPolicy
	wait   time.Duration
	limit  int // cfg.Backlog: queued + in flight never exceeds it
	batch  int
	nwork  int
	log    zerolog.Logger
	m      *metrics

	mu       sync.Mutex
	q        ring
	inflight int           // messages taken by a worker or Flush and not yet published or returned
	space    chan struct{} // closed (and cleared) when a slot frees or a batch returns; nil while nobody waits
	work     chan struct{} // capacity 1: "there may be queued messages"
	closing  chan struct{} // closed when Flush begins: intake stops
	closed   bool
	gaveUp   bool // Flush's deadline passed: whatever is still unpublished is dropped
	size     atomic.Int64

	backoffMin, backoffMax time.Duration
}

// New validates cfg and builds a Backlog in front of pub. It starts nothing and does no I/O.
func New(pub Publisher, cfg config.Publish, log zerolog.Logger, reg prometheus.Registerer) (*Backlog, error) {
	switch {
	case pub == nil:
		return nil, errors.New("publish backlog: nil publisher")
	case cfg.Backlog < 1:
		return nil, fmt.Errorf("publish backlog: backlog %d: must be at least 1", cfg.Backlog)
	case cfg.Workers < 1:
		return nil, fmt.Errorf("publish backlog: workers %d: must be at least 1", cfg.Workers)
	}
	switch cfg.OverflowPolicy {
	case config.OverflowDropNewest, config.OverflowDropOldest:
	case config.OverflowWait:
		if cfg.OverflowWait <= 0 {
			return nil, fmt.Errorf("publish backlog: overflow_wait %s: must be positive with the wait policy", cfg.OverflowWait)
		}
	default:
		return nil, fmt.Errorf("publish backlog: unknown overflow policy %q", cfg.OverflowPolicy)
	}
	b := &Backlog{
		pub:    pub,
		policy: cfg.OverflowPolicy,
		wait:   cfg.OverflowWait,
		limit:  cfg.Backlog,
		nwork:  cfg.Workers,
		// Leave at least half the backlog for queued relays even when every worker holds a batch.
		batch:      max(1, min(MaxBatch, cfg.Backlog/(2*cfg.Workers))),
		log:        log,
		q:          newRing(cfg.Backlog),
		work:       make(chan struct{}, 1),
		closing:    make(chan struct{}),
		backoffMin: 50 * time.Millisecond,
		backoffMax: 5 * time.Second,
	}
	m, err := newMetrics(reg, func() float64 { return float64(b.size.Load()) })
	if err != nil {
		return nil, fmt.Errorf("publish backlog metrics: %w", err)
	}
	b.m = m
	return b, nil
}

// Len returns how many relays are queued or being published.
func (b *Backlog) Len() int { return int(b.size.Load()) }

// Enqueue hands one relay to the backlog and reports whether it was accepted. It never waits,
// except under the wait policy when the backlog is full, and then at most overflow_wait. A
// relay that is not accepted (or, under drop_oldest, a queued relay it displaces) is counted in
// relayminer_publish_dropped_total with its reason. m.Relay must not be modified afterwards.
func (b *Backlog) Enqueue(m transport.Message) bool {
	if m.CheckSize() != nil {
		b.m.drop(ReasonOversized, 1)
		return false
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		b.m.drop(ReasonShutdown, 1)
		return false
	}
	if b.q.len()+b.inflight < b.limit {
		b.pushLocked(&m)
		return true
	}
	switch b.policy {
	case config.OverflowDropOldest:
		if b.q.len() > 0 {
			b.q.popFront()
			b.q.push(&m)
			b.mu.Unlock()
			b.m.drop(ReasonEvictedOldest, 1)
			return true
		}
	case config.OverflowWait:
		return b.waitAndPush(&m) // unlocks
	}
	b.mu.Unlock()
	b.m.drop(ReasonBacklogFull, 1)
	return false
}

// pushLocked queues m, releases mu and, if the queue was empty, wakes a worker. A non-empty
// queue needs no signal: a worker that takes a batch signals the next one while messages remain,
// and a worker drains until the queue is empty before it waits.
func (b *Backlog) pushLocked(m *transport.Message) {
	wasEmpty := b.q.len() == 0
	b.q.push(m)
	b.size.Add(1)
	b.mu.Unlock()
	if wasEmpty {
		select {
		case b.work <- struct{}{}:
		default:
		}
	}
}

// waitAndPush waits, with mu held on entry, for a free slot, at most b.wait.
func (b *Backlog) waitAndPush(m *transport.Message) bool {
	timer := time.NewTimer(b.wait)
	defer timer.Stop()
	for {
		if b.space == nil {
			b.space = make(chan struct{})
		}
		space := b.space
		b.mu.Unlock()
		select {
		case <-space:
		case <-b.closing:
			b.m.drop(ReasonShutdown, 1)
			return false
		case <-timer.C:
			b.m.drop(ReasonWaitTimeout, 1)
			return false
		}
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			b.m.drop(ReasonShutdown, 1)
			return false
		}
		if b.q.len()+b.inflight < b.limit {
			b.pushLocked(m)
			return true
		}
	}
}

// takeLocked moves up to b.batch queued messages into dst and marks them in flight.
func (b *Backlog) takeLocked(dst []transport.Message) []transport.Message {
	dst = b.q.take(dst, b.batch)
	b.inflight += len(dst)
	if b.q.len() > 0 { // more work: wake the next worker
		select {
		case b.work <- struct{}{}:
		default:
		}
	}
	return dst
}

// settle records the end of an attempt on a batch of which done messages left the backlog
// (published, or dropped with the reason already counted).
func (b *Backlog) settle(done int) {
	if done == 0 {
		return
	}
	b.mu.Lock()
	b.inflight -= done
	b.size.Add(-int64(done))
	b.notifyLocked()
	b.mu.Unlock()
}

// notifyLocked wakes everyone waiting for the backlog to change (a wait-policy Enqueue, Flush).
func (b *Backlog) notifyLocked() {
	if b.space != nil {
		close(b.space)
		b.space = nil
	}
}

// giveBack returns an unpublished batch to the front of the queue (its slots were never freed),
// or drops it if Flush has already given up.
func (b *Backlog) giveBack(msgs []transport.Message) {
	if len(msgs) == 0 {
		return
	}
	b.mu.Lock()
	if b.gaveUp {
		b.mu.Unlock()
		b.m.drop(ReasonShutdown, len(msgs))
		b.settle(len(msgs))
		return
	}
	b.q.pushFront(msgs)
	b.inflight -= len(msgs)
	b.notifyLocked()
	b.mu.Unlock()
	select {
	case b.work <- struct{}{}:
	default:
	}
}
