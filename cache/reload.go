package cache

import (
	"bytes"
	"context"
	"fmt"

	apptypes "github.com/pokt-network/poktroll/x/application/types"
)

// Reload loads key from the chain now, past L1 and L2, and returns it. When the value
// differs from L2 it rewrites L2 and L1 and tells the other processes, as the leader's refresh
// does; a failed load leaves every tier as it was. It is for callers that have evidence the
// cached value is stale (a relay signed by a gateway the cached application does not
// delegate to) and rate-limit themselves.
func (c *Cache[K, T]) Reload(ctx context.Context, key K) (T, error) {
	skey := c.o.KeyString(key)
	v, raw, final, err := c.load(ctx, key)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("cache %s: reload: %w", c.kind, err)
	}
	if !final { // the chain may still change it at this height: serve it, keep nothing
		c.km.notFinal.Inc()
		return v, nil
	}
	l2key := c.hub.keys.CacheEntry(c.kind, skey)
	c.l1.store(key, v)
	if old, err := c.hub.rdb.Get(ctx, l2key).Bytes(); err == nil && bytes.Equal(old, raw) {
		return v, nil
	}
	if err := c.hub.rdb.Set(ctx, l2key, raw, c.o.L2TTL).Err(); err != nil {
		c.km.errs.Inc() // this process has the new value; the others get it at the next refresh
		return v, nil
	}
	c.touchLive(ctx, skey)
	if err := c.hub.publish(ctx, c.o.Kind, skey); err != nil {
		c.km.errs.Inc()
	}
	return v, nil
}

// ReloadApplication loads the application at address from the chain now (see Cache.Reload).
func (c *Chain) ReloadApplication(ctx context.Context, address string) (*apptypes.Application, error) {
	return c.apps.Reload(ctx, address)
}
