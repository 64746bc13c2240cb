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

// apply inserts the relays of entries into their session trees and commits the batch (nodes,
// roots, XACK of every entry) in one fenced transaction. Consume and reclaim both call it; it
// holds the consumer's lock, so batches never interleave. On any error nothing of the batch is
// acknowledged, the trees it touched are dropped from memory (the next use reloads them from
// their committed state), and the entries stay pending to be read again.
func (c *Consumer) apply(ctx context.Context, entries []redis.XMessage) error {
	if len(entries) == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	begin := time.Now()
	if err := c.hooks.AfterRead(len(entries)); err != nil {
		return &hookError{err}
	}
	ids := c.ids[:0]
	var tally batchTally
	for i := range entries {
		ids = append(ids, entries[i].ID)
		if err := c.applyEntry(ctx, &entries[i], &tally); err != nil {
			c.discardDirty()
			return err
		}
	}
	c.ids = ids[:0]
	if err := c.hooks.AfterApply(len(entries)); err != nil {
		c.discardDirty()
		return &hookError{err}
	}
	dirty := c.dirtyTrees()
	for _, t := range dirty {
		if err := t.prepare(); err != nil {
			c.discardDirty()
			return err
		}
	}
	if err := commitBatch(ctx, c.rdb, c.cfg.Fence, c.stream, ids, dirty); err != nil {
		c.discardDirty()
		return err
	}
	c.record(&tally, len(entries), time.Since(begin))
	if err := c.hooks.AfterCommit(len(entries)); err != nil {
		return &hookError{err}
	}
	return nil
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

// dirtyTrees returns the trees changed since their last commit.
func (c *Consumer) dirtyTrees() []*Tree {
	d := c.dirty[:0]
	for _, t := range c.trees {
		if t.dirty {
			d = append(d, t)
		}
	}
	c.dirty = d[:0]
	return d
}

// discardDirty drops every tree with uncommitted changes; it is reloaded from Redis when next
// needed, so memory never runs ahead of the committed state after a failed batch.
func (c *Consumer) discardDirty() {
	for id, t := range c.trees {
		if t.dirty {
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
