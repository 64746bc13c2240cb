package publish

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// Run drains the backlog with cfg.Workers workers until ctx is done, then returns once every
// worker has returned. A batch a worker could not publish when ctx ended goes back to the front
// of the backlog, for Flush. Run returns nil.
func (b *Backlog) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for range b.nwork {
		wg.Go(func() { b.worker(ctx) })
	}
	wg.Wait()
	return nil
}

func (b *Backlog) worker(ctx context.Context) {
	buf := make([]transport.Message, 0, b.batch)
	// An in-flight pipeline is allowed to finish after ctx ends (bounded by the Redis client's
	// timeouts), so a clean shutdown does not publish a relay twice.
	callCtx := context.WithoutCancel(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.work:
		}
		for ctx.Err() == nil {
			b.mu.Lock()
			buf = b.takeLocked(buf[:0])
			b.mu.Unlock()
			if len(buf) == 0 {
				break
			}
			b.send(ctx, callCtx, buf)
			clear(buf)
		}
	}
}

// send publishes batch (in flight) until all of it has left the backlog, retrying failures with
// capped exponential backoff. If ctx ends first, the unpublished rest goes back to the queue and
// send returns false.
func (b *Backlog) send(ctx, callCtx context.Context, batch []transport.Message) bool {
	backoff := b.backoffMin
	pending := batch
	for {
		start := time.Now()
		failed, err := b.pub.PublishBatch(callCtx, pending)
		b.m.batchDuration.Observe(time.Since(start).Seconds())
		b.m.batchSize.Observe(float64(len(pending)))
		published := len(pending) - len(failed)
		b.m.published.Add(float64(published))
		b.settle(published)
		if len(failed) == 0 {
			return true
		}
		pending = failed
		b.m.errors.Inc()
		if b.isGivenUp() {
			b.m.drop(ReasonShutdown, len(pending))
			b.settle(len(pending))
			return true
		}
		b.log.Warn().Err(err).Int("unpublished", len(pending)).Dur("retry_in", backoff).
			Msg("publish relays to redis; batch kept for retry")
		timer := time.NewTimer(jitter(backoff))
		select {
		case <-ctx.Done():
			timer.Stop()
			b.giveBack(pending)
			return false
		case <-timer.C:
		}
		backoff = min(2*backoff, b.backoffMax)
	}
}

// jitter spreads retries of concurrent workers over [d/2, d).
func jitter(d time.Duration) time.Duration {
	if d < 2 {
		return d
	}
	return d/2 + rand.N(d/2)
}

func (b *Backlog) isGivenUp() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.gaveUp
}

// Flush stops intake (every later Enqueue is dropped with reason shutdown) and publishes every
// queued relay, including batches that Run's workers hand back, until the backlog is empty or ctx
// ends. Whatever is unpublished when ctx ends is dropped and counted with reason shutdown, and
// Flush returns an error saying how many. Call it once, after the servers have drained, with
// the shutdown deadline; it may run while Run is still running or after Run returned.
func (b *Backlog) Flush(ctx context.Context) error {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.closing)
	}
	b.mu.Unlock()
	buf := make([]transport.Message, 0, b.batch)
	for {
		b.mu.Lock()
		buf = b.takeLocked(buf[:0])
		if len(buf) == 0 {
			if b.inflight == 0 {
				b.mu.Unlock()
				return nil
			}
			// Workers hold batches: wait until one settles or comes back.
			if b.space == nil {
				b.space = make(chan struct{})
			}
			changed := b.space
			b.mu.Unlock()
			select {
			case <-changed:
				continue
			case <-ctx.Done():
				return b.giveUp(ctx)
			}
		}
		b.mu.Unlock()
		if !b.send(ctx, ctx, buf) {
			return b.giveUp(ctx)
		}
		clear(buf)
	}
}

// giveUp drops everything queued, and makes workers drop what they still hold, with reason
// shutdown.
func (b *Backlog) giveUp(ctx context.Context) error {
	b.mu.Lock()
	b.gaveUp = true
	n := b.q.len()
	for b.q.len() > 0 {
		b.q.popFront()
	}
	held := b.inflight
	b.size.Add(-int64(n))
	b.notifyLocked()
	b.mu.Unlock()
	b.m.drop(ReasonShutdown, n)
	return fmt.Errorf("flush publish backlog: %d relays dropped, %d more still in flight: %w", n, held, ctx.Err())
}
