package cache

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/errgroup"

	"github.com/shannon-ops/pocket-relay-miner/query"
)

// BlockSubscription yields new blocks; a slow reader may skip heights. The block feed's
// latest-value subscription (cache/blocks) satisfies it.
type BlockSubscription interface {
	Next(ctx context.Context) (query.Block, error)
}

// Refreshable is a live cache the Refresher keeps current.
type Refreshable interface {
	Kind() Kind
	// RefreshLive reloads every live key in use across the fleet.
	RefreshLive(ctx context.Context) error
}

// refreshConcurrency bounds the chain queries one refresh round runs at once.
const refreshConcurrency = 8

// RefreshLive reloads every key of this live kind that some process loaded within
// LiveKeyIdle, and forgets (in L2 too) the keys nobody used for longer. Keys whose reload
// fails keep their last good value; the error counts them.
func (c *Cache[K, T]) RefreshLive(ctx context.Context) error {
	if !c.o.Live {
		return nil
	}
	set := c.hub.keys.CacheLiveKeys(c.kind)
	cutoff := strconv.FormatInt(time.Now().Add(-c.o.LiveKeyIdle).UnixMilli(), 10)
	idle, err := c.hub.rdb.ZRangeByScore(ctx, set, &redis.ZRangeBy{Min: "-inf", Max: "(" + cutoff}).Result()
	if err != nil {
		return fmt.Errorf("cache %s: read live keys: %w", c.kind, err)
	}
	for _, skey := range idle {
		// Drop the entry with the key, so a later reader loads it fresh instead of reading an
		// L2 value nobody refreshes any more.
		if err := c.hub.rdb.ZRem(ctx, set, skey).Err(); err != nil {
			return fmt.Errorf("cache %s: forget idle key: %w", c.kind, err)
		}
		_ = c.hub.rdb.Del(ctx, c.hub.keys.CacheEntry(c.kind, skey)).Err()
	}
	keys, err := c.hub.rdb.ZRange(ctx, set, 0, -1).Result()
	if err != nil {
		return fmt.Errorf("cache %s: read live keys: %w", c.kind, err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(refreshConcurrency)
	failed := make([]error, len(keys))
	for i, skey := range keys {
		g.Go(func() error {
			if err := c.refreshKey(gctx, skey); err != nil {
				c.km.errs.Inc()
				failed[i] = err
			}
			return nil
		})
	}
	_ = g.Wait()
	if err := errors.Join(failed...); err != nil {
		return fmt.Errorf("cache %s: refresh: %w", c.kind, err)
	}
	return nil
}

// Refresher keeps the live kinds current: on every block it sees, if this process is the
// global leader, it reloads every live key in use fleet-wide, rewrites L2 for the ones that
// changed and publishes their invalidation. Other processes only read. Blocks that arrive
// while a round is running are coalesced (the subscription keeps only the newest).
type Refresher struct {
	sub      BlockSubscription
	isLeader func() bool
	caches   []Refreshable
	onError  func(kind Kind, err error)
}

// NewRefresher builds a Refresher; isLeader reports whether this process holds the global
// lease now (package leader). onError, if not nil, sees every failed round (for logging).
func NewRefresher(sub BlockSubscription, isLeader func() bool, onError func(Kind, error), caches ...Refreshable) *Refresher {
	return &Refresher{sub: sub, isLeader: isLeader, caches: caches, onError: onError}
}

// Run refreshes on every block until ctx ends; it returns nil then.
func (r *Refresher) Run(ctx context.Context) error {
	for {
		if _, err := r.sub.Next(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("refresher: next block: %w", err)
		}
		if !r.isLeader() {
			continue
		}
		for _, c := range r.caches {
			if err := c.RefreshLive(ctx); err != nil && r.onError != nil && ctx.Err() == nil {
				r.onError(c.Kind(), err)
			}
		}
	}
}
