package miner

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/shannon-ops/pocket-relay-miner/leader"
	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// commitBatch persists one batch in a single fenced MULTI/EXEC: for every tree the batch changed,
// its node writes and its new meta (root, count, sum); and the XACK of exactly the
// stream entries the batch consumed (applied, duplicate or rejected). Every key carries the
// supplier's hash tag, so the transaction is legal on Redis Cluster. The EXEC runs only while f
// still holds the supplier's lease (leader.Fence.Tx), so a stale owner's commit fails with
// leader.ErrLeaseLost and its entries stay pending.
//
// It only talks to Redis: it runs in its own goroutine while the consumer applies the next
// batch, and the caller marks the changes landed (treeChanges.landed) on success, or drops their
// trees on failure (their tries already count the batch).
func commitBatch(ctx context.Context, rdb redis.UniversalClient, f leader.Fence, stream string, ids []string, changes []*treeChanges) error {
	if len(ids) == 0 && len(changes) == 0 {
		return nil
	}
	err := f.Tx(ctx, rdb, func(p redis.Pipeliner) error {
		for _, ch := range changes {
			ch.queue(ctx, p)
		}
		if len(ids) > 0 {
			p.XAck(ctx, stream, transport.ConsumerGroup, ids...)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("commit batch of %d entries to %s: %w", len(ids), stream, err)
	}
	return nil
}
