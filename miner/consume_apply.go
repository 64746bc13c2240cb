package miner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// batchTally counts the outcome of one batch; it reaches the metrics only after the commit, so a
// batch that fails and is replayed is counted once.
type batchTally struct {
	applied, duplicate int
	rejected           [len(rejectReasonsArr)]int
}

// rejectReasonsArr fixes the index of each reason in batchTally.rejected.
var rejectReasonsArr = [...]rejectReason{reasonMalformed, reasonWrongSupplier, reasonLate, reasonCUPRMismatch}

func (b *batchTally) reject(r rejectReason) {
	for i, x := range rejectReasonsArr {
		if x == r {
			b.rejected[i]++
			return
		}
	}
}

// flight is a batch whose commit transaction runs in its own goroutine while the consumer
// applies the next batch: the tree work of batch n+1 (CPU in this process) overlaps the EXEC of
// batch n (CPU in redis-server). Only one flight is ever open, and batch n+1's transaction is
// sent only after batch n's landed, so Redis always holds a prefix of whole batches.
type flight struct {
	done    chan struct{}
	err     error // written before done is closed
	changes []*treeChanges
	entries int
	tally   batchTally
	begin   time.Time
}

// apply inserts the relays of entries into their session trees, takes the changes out of the
// trees, waits for the previous batch's commit to land and then starts this batch's commit (nodes,
// roots, XACK of every entry) in one fenced transaction, without waiting for it. Consume and
// reclaim both call it; it holds the consumer's lock, so batches never interleave. An empty
// batch only lands the open flight, so an idle consumer has everything committed.
//
// On any error (of this batch or of the flight it waited for) nothing more is sent, every tree
// ahead of Redis is dropped from memory (the next use reloads it from its committed state), and
// the entries of the failed batches stay pending, to be read again.
func (c *Consumer) apply(ctx context.Context, entries []redis.XMessage) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.applyLocked(ctx, entries)
}

// applyLocked is apply with c.mu held (Seal's drain applies batches under the lock it holds).
func (c *Consumer) applyLocked(ctx context.Context, entries []redis.XMessage) error {
	if err := c.takeDeferred(); err != nil {
		return c.abort(err)
	}
	if len(entries) == 0 {
		return c.land()
	}
	f := &flight{done: make(chan struct{}), entries: len(entries), begin: time.Now()}
	if err := c.hooks.AfterRead(len(entries)); err != nil {
		return c.abort(&hookError{err})
	}
	ids := make([]string, len(entries))
	for i := range entries {
		ids[i] = entries[i].ID
		if err := c.applyEntry(ctx, &entries[i], &f.tally); err != nil {
			return c.abort(err)
		}
	}
	if err := c.hooks.AfterApply(len(entries)); err != nil {
		return c.abort(&hookError{err})
	}
	for _, t := range c.trees {
		if !t.dirty {
			continue
		}
		ch, err := t.take()
		if err != nil {
			return c.abort(err)
		}
		f.changes = append(f.changes, ch)
	}
	if err := c.land(); err != nil {
		return err
	}
	c.flight = f
	go func() {
		defer close(f.done)
		f.err = commitBatch(ctx, c.rdb, c.cfg.Fence, c.stream, ids, f.changes)
	}()
	return nil
}

// land waits for the open flight, if any. Once it landed the trees take back their buffers and
// the batch reaches the metrics; if it failed, every tree ahead of Redis is dropped and its
// error returned. Called with c.mu held.
func (c *Consumer) land() error {
	f := c.flight
	if f == nil {
		return nil
	}
	<-f.done
	c.flight = nil
	if f.err != nil {
		c.discardUnsynced()
		return f.err
	}
	for _, ch := range f.changes {
		ch.landed()
	}
	c.record(&f.tally, f.entries, time.Since(f.begin))
	if err := c.hooks.AfterCommit(f.entries); err != nil {
		return &hookError{err}
	}
	return nil
}

// abort ends a batch that failed before its commit was sent: it lands the open flight (whose
// goroutine must not outlive the batch), drops every tree ahead of Redis and returns err, joined
// with the flight's error if it failed too. Called with c.mu held.
func (c *Consumer) abort(err error) error {
	if ferr := c.land(); ferr != nil {
		err = errors.Join(err, ferr)
	}
	c.discardUnsynced()
	return err
}

// flush lands the open flight for a caller outside the apply path (Seal, Run's end). Its error
// is kept for the next apply, so the consumer's loop still sees a failed commit and replays.
// Called with c.mu held.
func (c *Consumer) flush() error {
	err := c.land()
	if err != nil {
		c.deferred = errors.Join(c.deferred, err)
	}
	return err
}

// takeDeferred returns and clears the error of a flight landed by flush.
func (c *Consumer) takeDeferred() error {
	err := c.deferred
	c.deferred = nil
	return err
}

// applyEntry decodes one entry and inserts its relay. Entries that can never be inserted are
// tallied as rejected and still acknowledged; only a failure to reach the tree is an error.
func (c *Consumer) applyEntry(ctx context.Context, e *redis.XMessage, tally *batchTally) error {
	m, err := transport.DecodeEntry(*e)
	if err != nil {
		c.log.Debug().Err(err).Str("entry", e.ID).Msg("malformed stream entry acknowledged")
		tally.reject(reasonMalformed)
		return nil
	}
	if m.Supplier != c.cfg.Supplier {
		tally.reject(reasonWrongSupplier)
		return nil
	}
	h := headerOf(&m)
	if !c.gate.Accept(h) {
		tally.reject(reasonLate)
		return nil
	}
	t, err := c.tree(ctx, h)
	if err != nil {
		return err
	}
	added, err := t.Insert(&m)
	switch {
	case errors.Is(err, ErrCUPRMismatch):
		tally.reject(reasonCUPRMismatch)
	case errors.Is(err, errEmptyRelay):
		tally.reject(reasonMalformed)
	case err != nil:
		return fmt.Errorf("apply entry %s: %w", e.ID, err)
	case added:
		t.noteEntry(e.ID)
		tally.applied++
	default:
		tally.duplicate++
	}
	return nil
}

// tree returns the in-memory tree of h's session, opening its committed state on first use.
func (c *Consumer) tree(ctx context.Context, h SessionHeader) (*Tree, error) {
	if t, ok := c.trees[h.SessionID]; ok {
		return t, nil
	}
	t, err := openTree(ctx, c.rdb, c.keys, h, true)
	if err != nil {
		return nil, err
	}
	t.ttl = c.cfg.TreeTTL(h)
	c.trees[h.SessionID] = t
	c.m.trees.Set(float64(len(c.trees)))
	return t, nil
}

// discardUnsynced drops every tree that is ahead of Redis (relays not taken yet, or taken by a
// batch whose commit has not landed); it is reloaded from Redis when next needed, so memory
// never runs ahead of the committed state after a failed batch.
func (c *Consumer) discardUnsynced() {
	for id, t := range c.trees {
		if t.dirty || t.unsynced > 0 {
			t.Close()
			delete(c.trees, id)
		}
	}
	c.m.trees.Set(float64(len(c.trees)))
}

// record adds a committed batch to the metrics.
func (c *Consumer) record(tally *batchTally, n int, d time.Duration) {
	c.m.applied.Add(float64(tally.applied))
	c.m.duplicate.Add(float64(tally.duplicate))
	for i, k := range tally.rejected {
		if k > 0 {
			c.m.rejected[rejectReasonsArr[i]].Add(float64(k))
		}
	}
	c.m.batchSize.Observe(float64(n))
	c.m.batchDur.Observe(d.Seconds())
}
