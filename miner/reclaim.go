package miner

import (
	"time"

	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// reclaim runs in its own goroutine, never behind the blocking read: at start and every
// ReclaimEvery it takes over, with XAUTOCLAIM, the entries pending longer than ReclaimMinIdle
// for any consumer of the group (a dead replica's, or this one's after a failed batch) and
// feeds them through the same apply path; every LagEvery it measures the stream lag.
func (c *Consumer) reclaim(ctx context.Context) error {
	sweep := time.NewTicker(c.cfg.ReclaimEvery)
	defer sweep.Stop()
	lag := time.NewTicker(c.cfg.LagEvery)
	defer lag.Stop()
	if err := c.reclaimOnce(ctx); err != nil && isFinal(err) {
		return err
	}
	c.measureLag(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sweep.C:
			if err := c.reclaimOnce(ctx); err != nil {
				if isFinal(err) {
					return err
				}
				if ctx.Err() == nil {
					c.log.Warn().Err(err).Msg("reclaim sweep failed; retrying next period")
				}
			}
		case <-lag.C:
			c.measureLag(ctx)
		}
	}
}

// reclaimOnce walks the group's pending list once with XAUTOCLAIM, in batches of BatchSize.
func (c *Consumer) reclaimOnce(ctx context.Context) error {
	start := "0-0"
	for ctx.Err() == nil {
		msgs, next, err := c.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
			Stream: c.stream, Group: transport.ConsumerGroup, Consumer: c.cfg.Consumer,
			MinIdle: c.cfg.ReclaimMinIdle, Start: start, Count: int64(c.cfg.BatchSize),
		}).Result()
		if err != nil {
			if redis.HasErrorPrefix(err, "NOGROUP") || errors.Is(err, redis.Nil) {
				return nil
			}
			return fmt.Errorf("reclaim pending entries of %s: %w", c.stream, err)
		}
		if len(msgs) > 0 {
			c.log.Info().Int("entries", len(msgs)).Msg("reclaimed idle pending entries")
		}
		if err := c.apply(ctx, msgs); err != nil {
			return err
		}
		if next == "0-0" || next == "" {
			return nil
		}
		start = next
	}
	return nil
}

// measureLag sets the stream lag gauge: entries not yet delivered to the group plus entries
// delivered but not acknowledged (XINFO GROUPS).
func (c *Consumer) measureLag(ctx context.Context) {
	groups, err := c.rdb.XInfoGroups(ctx, c.stream).Result()
	if err != nil {
		if ctx.Err() == nil {
			c.log.Debug().Err(err).Msg("measure stream lag")
		}
		return
	}
	for _, g := range groups {
		if g.Name == transport.ConsumerGroup {
			c.m.lag.Set(float64(max(g.Lag, 0) + g.Pending))
			return
		}
	}
}
