package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"
)

// ErrInvalidValue wraps the validate error of a value that was refused: it is returned to the
// caller and never stored in any tier.
var ErrInvalidValue = errors.New("invalid value")

// Defaults of Options.
const (
	DefaultFixedL1TTL   = time.Hour
	DefaultFixedL2TTL   = 24 * time.Hour
	DefaultLiveL1TTL    = 30 * time.Second
	DefaultLiveL2TTL    = 5 * time.Minute
	DefaultMaxEntries   = 100_000
	DefaultLockTTL      = 5 * time.Second
	DefaultPollInterval = 25 * time.Millisecond
	DefaultFillTimeout  = 20 * time.Second
	DefaultStaleRetry   = time.Second
	DefaultLiveKeyIdle  = 10 * time.Minute
)

// Options configure one Cache. Kind, Codec and one of Load and LoadFinal are required.
type Options[K comparable, T any] struct {
	// Kind names the family; one Cache per kind per Hub.
	Kind Kind
	// Codec encodes values for L2.
	Codec Codec[T]
	// Load fetches a value from the chain (L3). Its errors are never cached.
	Load func(ctx context.Context, key K) (T, error)
	// LoadFinal is Load for data keyed by a height the chain may not have reached yet: it also
	// reports whether the answer is final, that is, no later block can change it. An answer
	// that is not final is returned to the callers of that fill and stored in no tier, so the
	// next lookup asks the chain again. Not for live kinds.
	LoadFinal func(ctx context.Context, key K) (T, bool, error)
	// Validate refuses values that must not be cached, such as a supplier with no services or
	// an application with no ring keys. Optional.
	Validate func(T) error
	// KeyString renders a key for Redis. Required unless K is string. It must be injective
	// and must not contain a newline.
	KeyString func(K) string
	// ParseKey inverts KeyString. Required for live kinds unless K is string.
	ParseKey func(string) (K, error)
	// Live marks data that changes on chain (stakes, delegations, services): it is
	// refreshed by the Refresher, and when refreshing fails readers keep the last good value.
	// Otherwise the data is fixed by its key (a height) and is never refreshed.
	Live bool
	// L1TTL and L2TTL bound how long a value stays in each tier. Defaults: fixed data 1h and
	// 24h, live data 30s and 5m (the Refresher rewrites L2 long before).
	L1TTL, L2TTL time.Duration
	// MaxEntries bounds L1. Default 100,000.
	MaxEntries int
	// LockTTL bounds how long one process may hold the fleet-wide fill lock of a key. Default 5s.
	LockTTL time.Duration
	// LockWait is how long a process that lost the lock waits for the winner's L2 write before
	// loading itself. Default LockTTL.
	LockWait time.Duration
	// PollInterval is how often a loser checks L2 (and retries the lock). Default 25ms.
	PollInterval time.Duration
	// FillTimeout bounds one fill (L2 read, lock, chain load, L2 write). Default 20s.
	FillTimeout time.Duration
	// StaleRetry is how long a live value whose refresh failed is served before one caller
	// tries again. Default 1s.
	StaleRetry time.Duration
	// LiveKeyIdle: a live key nobody loaded for this long leaves the refresh set. Default 10m.
	LiveKeyIdle time.Duration
}

func (o *Options[K, T]) defaults() error {
	var errs []error
	if err := o.Kind.validate(); err != nil {
		errs = append(errs, err)
	}
	if o.Codec.Marshal == nil || o.Codec.Unmarshal == nil {
		errs = append(errs, errors.New("cache options: Codec is required"))
	}
	if (o.Load == nil) == (o.LoadFinal == nil) {
		errs = append(errs, errors.New("cache options: exactly one of Load and LoadFinal is required"))
	}
	if o.Live && o.LoadFinal != nil {
		errs = append(errs, errors.New("cache options: LoadFinal is for fixed kinds, not live ones"))
	}
	var zero K
	_, isString := any(zero).(string)
	if o.KeyString == nil && !isString {
		errs = append(errs, errors.New("cache options: KeyString is required for non-string keys"))
	}
	if o.Live && o.ParseKey == nil && !isString {
		errs = append(errs, errors.New("cache options: ParseKey is required for live non-string keys"))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if o.LoadFinal == nil {
		load := o.Load
		o.LoadFinal = func(ctx context.Context, key K) (T, bool, error) {
			v, err := load(ctx, key)
			return v, true, err
		}
	}
	if isString {
		if o.KeyString == nil {
			o.KeyString = func(k K) string { return any(k).(string) }
		}
		if o.ParseKey == nil {
			o.ParseKey = func(s string) (K, error) { return any(s).(K), nil }
		}
	}
	setDur := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	if o.Live {
		setDur(&o.L1TTL, DefaultLiveL1TTL)
		setDur(&o.L2TTL, DefaultLiveL2TTL)
	} else {
		setDur(&o.L1TTL, DefaultFixedL1TTL)
		setDur(&o.L2TTL, DefaultFixedL2TTL)
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	setDur(&o.LockTTL, DefaultLockTTL)
	setDur(&o.LockWait, o.LockTTL)
	setDur(&o.PollInterval, DefaultPollInterval)
	setDur(&o.FillTimeout, DefaultFillTimeout)
	setDur(&o.StaleRetry, DefaultStaleRetry)
	setDur(&o.LiveKeyIdle, DefaultLiveKeyIdle)
	return nil
}

// Cache is a read-through cache of one kind: L1 in process, L2 in Redis, L3 the Load func.
type Cache[K comparable, T any] struct {
	hub  *Hub
	o    Options[K, T]
	l1   *l1[K, T]
	km   *kindMetrics
	sf   singleflight.Group
	kind string
}

// New builds the cache of o.Kind on hub. It does no I/O.
func New[K comparable, T any](hub *Hub, o Options[K, T]) (*Cache[K, T], error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	c := &Cache[K, T]{hub: hub, o: o, l1: newL1[K, T](o.L1TTL, o.MaxEntries), km: hub.m.kinds[o.Kind], kind: string(o.Kind)}
	if err := hub.register(o.Kind, c); err != nil {
		return nil, err
	}
	return c, nil
}

// Kind returns the kind of the cache.
func (c *Cache[K, T]) Kind() Kind { return c.o.Kind }

// Get returns the value of key. A fresh L1 value costs one map lookup: no Redis, no chain,
// no allocation. Otherwise one caller per process fills it (singleflight) and one process per
// fleet loads it from the chain (a Redis lock); the others read the winner's L2 write. For a
// live kind, an expired value is served to everyone while one caller refreshes it, and is
// kept when the refresh fails (a stale serve). Values must be treated as read-only: every
// caller shares them.
func (c *Cache[K, T]) Get(ctx context.Context, key K) (T, error) {
	e, ok := c.l1.load(key)
	if ok {
		if e.fresh(time.Now().UnixNano()) {
			c.km.hitL1.Inc()
			return e.val, nil
		}
		if c.o.Live {
			if !e.refreshing.CompareAndSwap(false, true) {
				c.km.hitL1Stale.Inc()
				return e.val, nil
			}
			defer e.refreshing.Store(false)
		} else {
			e = nil
		}
	}
	return c.slow(ctx, key, e)
}

// slow fills key once per process and serves stale (live kinds) when that fails.
func (c *Cache[K, T]) slow(ctx context.Context, key K, stale *entry[T]) (T, error) {
	skey := c.o.KeyString(key)
	ch := c.sf.DoChan(skey, func() (any, error) {
		// The fill outlives a caller that gives up, so the callers still waiting get it.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.o.FillTimeout)
		defer cancel()
		return c.fill(fctx, key, skey)
	})
	var zero T
	select {
	case <-ctx.Done():
		if stale != nil {
			return stale.val, nil
		}
		return zero, fmt.Errorf("cache %s: %w", c.kind, ctx.Err())
	case r := <-ch:
		if r.Err != nil {
			c.km.errs.Inc()
			if stale != nil {
				c.km.stale.Inc()
				stale.expires.Store(time.Now().Add(c.o.StaleRetry).UnixNano())
				return stale.val, nil
			}
			return zero, fmt.Errorf("cache %s: %w", c.kind, r.Err)
		}
		return r.Val.(T), nil
	}
}

// fill finds key in L2, or takes the fleet-wide lock and loads it, or waits for whoever holds
// the lock. Redis being unreachable degrades to loading from the chain directly.
func (c *Cache[K, T]) fill(ctx context.Context, key K, skey string) (T, error) {
	l2key := c.hub.keys.CacheEntry(c.kind, skey)
	v, found, err := c.readL2(ctx, l2key)
	if err == nil && found {
		c.km.hitL2.Inc()
		c.l1.store(key, v)
		c.touchLive(ctx, skey)
		return v, nil
	}
	c.km.miss.Inc()
	if err != nil {
		c.km.errs.Inc()
		return c.loadAndStore(ctx, key, skey, l2key)
	}
	lockKey := c.hub.keys.CacheLock(c.kind, skey)
	token := lockToken()
	deadline := time.Now().Add(c.o.LockWait)
	for {
		won, err := tryLock(ctx, c.hub.rdb, lockKey, token, c.o.LockTTL)
		if err != nil {
			c.km.errs.Inc()
			return c.loadAndStore(ctx, key, skey, l2key)
		}
		if won {
			defer func() { _ = unlock(ctx, c.hub.rdb, lockKey, token) }()
			// The previous holder may have written L2 between our read and our lock.
			if v, found, err := c.readL2(ctx, l2key); err == nil && found {
				c.l1.store(key, v)
				return v, nil
			}
			return c.loadAndStore(ctx, key, skey, l2key)
		}
		if err := wait(ctx, c.o.PollInterval); err != nil {
			var zero T
			return zero, err
		}
		if v, found, err := c.readL2(ctx, l2key); err == nil && found {
			c.km.hitL2.Inc()
			c.l1.store(key, v)
			return v, nil
		}
		if time.Now().After(deadline) {
			// The holder is alive but slow: do not wait longer than promised.
			return c.loadAndStore(ctx, key, skey, l2key)
		}
	}
}

// loadAndStore loads key from the chain, refuses invalid values, and writes L2 and L1. An
// answer that is not final is written nowhere: a process waiting for our L2 write takes the
// lock once we release it and asks the chain itself.
func (c *Cache[K, T]) loadAndStore(ctx context.Context, key K, skey, l2key string) (T, error) {
	v, raw, final, err := c.load(ctx, key)
	if err != nil {
		var zero T
		return zero, err
	}
	if !final {
		c.km.notFinal.Inc()
		return v, nil
	}
	if err := c.hub.rdb.Set(ctx, l2key, raw, c.o.L2TTL).Err(); err != nil {
		c.km.errs.Inc() // served anyway; the next process will load it again
	}
	c.l1.store(key, v)
	c.touchLive(ctx, skey)
	return v, nil
}

// load runs LoadFinal and Validate and encodes the value; final is LoadFinal's verdict.
func (c *Cache[K, T]) load(ctx context.Context, key K) (v T, raw []byte, final bool, err error) {
	var zero T
	v, final, err = c.o.LoadFinal(ctx, key)
	if err != nil {
		return zero, nil, false, err
	}
	if c.o.Validate != nil {
		if err := c.o.Validate(v); err != nil {
			return zero, nil, false, fmt.Errorf("%w: %w", ErrInvalidValue, err)
		}
	}
	raw, err = c.o.Codec.Marshal(v)
	if err != nil {
		return zero, nil, false, fmt.Errorf("encode: %w", err)
	}
	return v, raw, final, nil
}

// readL2 returns the L2 value of l2key. A value that no longer decodes or validates is a miss.
func (c *Cache[K, T]) readL2(ctx context.Context, l2key string) (T, bool, error) {
	var zero T
	raw, err := c.hub.rdb.Get(ctx, l2key).Bytes()
	if errors.Is(err, redis.Nil) {
		return zero, false, nil
	}
	if err != nil {
		return zero, false, err
	}
	v, err := c.o.Codec.Unmarshal(raw)
	if err == nil && c.o.Validate != nil {
		err = c.o.Validate(v)
	}
	if err != nil {
		c.km.errs.Inc()
		return zero, false, nil
	}
	return v, true, nil
}

// touchLive records that a live key is in use, so the leader keeps refreshing it.
func (c *Cache[K, T]) touchLive(ctx context.Context, skey string) {
	if !c.o.Live {
		return
	}
	now := float64(time.Now().UnixMilli())
	if err := c.hub.rdb.ZAdd(ctx, c.hub.keys.CacheLiveKeys(c.kind), redis.Z{Score: now, Member: skey}).Err(); err != nil {
		c.km.errs.Inc()
	}
}

// Invalidate drops key from every tier in every process: L2 is deleted and the other
// processes drop their L1 entry when the invalidation reaches them.
func (c *Cache[K, T]) Invalidate(ctx context.Context, key K) error {
	skey := c.o.KeyString(key)
	c.l1.delete(key)
	if err := c.hub.rdb.Del(ctx, c.hub.keys.CacheEntry(c.kind, skey)).Err(); err != nil {
		return fmt.Errorf("cache %s: delete l2: %w", c.kind, err)
	}
	if err := c.hub.publish(ctx, c.o.Kind, skey); err != nil {
		return fmt.Errorf("cache %s: publish invalidation: %w", c.kind, err)
	}
	return nil
}

// invalidateLocal handles an invalidation from another process. A live value is only marked
// stale, so it can still be served if reloading fails; a fixed value is dropped.
func (c *Cache[K, T]) invalidateLocal(skey string) {
	key, err := c.parse(skey)
	if err != nil {
		c.l1.m.DeleteMatching(func(k K, _ *entry[T]) (bool, bool) {
			return c.o.KeyString(k) == skey, false
		})
		return
	}
	if c.o.Live {
		c.l1.expire(key)
		return
	}
	c.l1.delete(key)
}

func (c *Cache[K, T]) parse(skey string) (K, error) {
	if c.o.ParseKey == nil {
		var zero K
		return zero, errors.New("no ParseKey")
	}
	return c.o.ParseKey(skey)
}

// refreshKey reloads one live key from the chain. When the value changed it rewrites L2,
// replaces the local L1 entry and tells the other processes; when it did not, it only extends
// the L2 TTL. A failed load leaves every tier as it was: readers keep the last good value.
func (c *Cache[K, T]) refreshKey(ctx context.Context, skey string) error {
	key, err := c.parse(skey)
	if err != nil {
		return fmt.Errorf("parse key %q: %w", skey, err)
	}
	v, raw, _, err := c.load(ctx, key) // live kinds have no LoadFinal: always final
	if err != nil {
		return err
	}
	l2key := c.hub.keys.CacheEntry(c.kind, skey)
	old, err := c.hub.rdb.Get(ctx, l2key).Bytes()
	if err == nil && bytes.Equal(old, raw) {
		return c.hub.rdb.PExpire(ctx, l2key, c.o.L2TTL).Err()
	}
	if err := c.hub.rdb.Set(ctx, l2key, raw, c.o.L2TTL).Err(); err != nil {
		return fmt.Errorf("write l2: %w", err)
	}
	c.l1.store(key, v)
	return c.hub.publish(ctx, c.o.Kind, skey)
}

// Len returns the number of L1 entries (for tests and debugging).
func (c *Cache[K, T]) Len() int { return c.l1.len() }

// itoa is strconv.FormatInt for key renderers.
func itoa(v int64) string { return strconv.FormatInt(v, 10) }
