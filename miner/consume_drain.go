package miner

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// drainMaxBatches bounds the new-entry batches one Seal applies before it closes the session:
// a stream that keeps filling faster than it is read must not hold the lifecycle forever. At
// the default batch size that is 32,000 entries, far more than a supplier's backlog at the
// claim height.
const drainMaxBatches = 32

// drain applies and commits, with c.mu held, everything the supplier's stream holds at this
// moment: first every pending entry of the group, whoever holds it, then the undelivered ones.
// Seal calls it before closing a session, so a relay answered before the claim window opened
// is in the claimed tree even if it still sat in the stream, in a dead replica's pending list
// (which the periodic sweep would only reclaim after ReclaimMinIdle), or in a batch whose
// commit failed. Taking over another consumer's pending entries at once is safe: this replica
// holds the supplier's lease, so any other holder of entries is a previous owner whose commits
// the fence refuses. It returns the first failure; the entries concerned stay pending.
func (c *Consumer) drain(ctx context.Context) error {
	// A failed flight (landed here or earlier by flush) dropped its trees; its entries are
	// still pending and are applied again below, so the loop need not replay them.
	if err := errors.Join(c.takeDeferred(), c.land()); err != nil {
		c.discardUnsynced()
		if isFinal(err) {
			return err
		}
		c.log.Warn().Err(err).Msg("a commit failed before a seal; applying its entries again")
	}
	if err := c.drainPending(ctx); err != nil {
		return err
	}
	for range drainMaxBatches {
		res, err := c.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: transport.ConsumerGroup, Consumer: c.cfg.Consumer,
			Streams: []string{c.stream, ">"}, Count: int64(c.cfg.BatchSize), Block: -1, // never block
		}).Result()
		if errors.Is(err, redis.Nil) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read stream %s before a seal: %w", c.stream, err)
		}
		var entries []redis.XMessage
		if len(res) > 0 {
			entries = res[0].Messages
		}
		if err := c.commitNow(ctx, entries); err != nil {
			return err
		}
		if len(entries) < c.cfg.BatchSize {
			return nil
		}
	}
	return nil
}

// drainPending claims and applies every pending entry of the group (XAUTOCLAIM with no idle
// time), in batches of BatchSize.
func (c *Consumer) drainPending(ctx context.Context) error {
	start := "0-0"
	for {
		msgs, next, err := c.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
			Stream: c.stream, Group: transport.ConsumerGroup, Consumer: c.cfg.Consumer,
			MinIdle: 0, Start: start, Count: int64(c.cfg.BatchSize),
		}).Result()
		if redis.HasErrorPrefix(err, "NOGROUP") || errors.Is(err, redis.Nil) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("claim pending entries of %s before a seal: %w", c.stream, err)
		}
		if err := c.commitNow(ctx, msgs); err != nil {
			return err
		}
		if next == "0-0" || next == "" {
			return nil
		}
		start = next
	}
}

// commitNow applies entries and waits for their commit. Called with c.mu held.
func (c *Consumer) commitNow(ctx context.Context, entries []redis.XMessage) error {
	if len(entries) == 0 {
		return nil
	}
	if err := c.applyLocked(ctx, entries); err != nil {
		return err
	}
	return c.land()
}
