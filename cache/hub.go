package cache

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/puzpuzpuz/xsync/v4"
	"github.com/redis/go-redis/v9"

	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// Hub is what the caches of one process share: the Redis client, the key layout, the metrics
// and the one pub/sub subscription that carries L1 invalidations. Build the caches of a
// process with New on the same Hub, and run the Hub.
type Hub struct {
	rdb    redis.UniversalClient
	keys   transport.Keys
	m      *metrics
	origin string // identifies this process in invalidation messages

	caches    *xsync.Map[Kind, invalidator]
	ready     chan struct{}
	readyOnce sync.Once
}

// invalidator is the part of a Cache the Hub calls when an invalidation arrives.
type invalidator interface {
	invalidateLocal(key string)
}

// NewHub builds a Hub. It does no I/O. reg receives the cache metrics (nil registers nothing).
func NewHub(rdb redis.UniversalClient, keys transport.Keys, reg prometheus.Registerer) *Hub {
	return &Hub{
		rdb:    rdb,
		keys:   keys,
		m:      newMetrics(reg),
		origin: lockToken(),
		caches: xsync.NewMap[Kind, invalidator](),
		ready:  make(chan struct{}),
	}
}

// Ready is closed once Run is subscribed to the invalidation channel.
func (h *Hub) Ready() <-chan struct{} { return h.ready }

// Subscription retry bounds: a failed subscribe is retried after a jittered delay that doubles
// from subscribeBackoffMin up to subscribeBackoffMax.
const (
	subscribeBackoffMin = 100 * time.Millisecond
	subscribeBackoffMax = 5 * time.Second
)

// Run listens for invalidations from other processes and drops the named L1 entries here. It
// returns nil when ctx ends. While Redis cannot be reached it keeps trying to subscribe, with
// capped and jittered backoff, so a process started during a Redis outage comes up when Redis
// does (its readiness says so meanwhile). go-redis re-subscribes by itself after a connection
// loss; invalidations published meanwhile are lost, which the L1 TTL bounds.
func (h *Hub) Run(ctx context.Context) error {
	backoff := subscribeBackoffMin
	for {
		err := h.listen(ctx)
		if ctx.Err() != nil {
			return nil
		}
		t := time.NewTimer(backoff/2 + rand.N(backoff/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		if errors.Is(err, errSubscriptionClosed) {
			backoff = subscribeBackoffMin
		} else {
			backoff = min(2*backoff, subscribeBackoffMax)
		}
	}
}

var errSubscriptionClosed = errors.New("cache invalidation subscription closed")

// listen subscribes once and dispatches invalidations until ctx ends or the subscription fails.
func (h *Hub) listen(ctx context.Context) error {
	ps := h.rdb.Subscribe(ctx, h.keys.CacheInvalidateChannel())
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		return fmt.Errorf("subscribe to cache invalidations: %w", err)
	}
	h.readyOnce.Do(func() { close(h.ready) })
	ch := ps.Channel()
	for {
		select {
		case <-ctx.Done():
			return nil
		case msg, ok := <-ch:
			if !ok {
				return errSubscriptionClosed
			}
			h.dispatch(msg.Payload)
		}
	}
}

// Invalidation messages are "origin\nkind\nkey".
func (h *Hub) dispatch(payload string) {
	origin, rest, ok := strings.Cut(payload, "\n")
	if !ok || origin == h.origin {
		return
	}
	kind, key, ok := strings.Cut(rest, "\n")
	if !ok {
		return
	}
	if c, ok := h.caches.Load(Kind(kind)); ok {
		c.invalidateLocal(key)
	}
}

func (h *Hub) publish(ctx context.Context, kind Kind, key string) error {
	return h.rdb.Publish(ctx, h.keys.CacheInvalidateChannel(), h.origin+"\n"+string(kind)+"\n"+key).Err()
}

func (h *Hub) register(kind Kind, c invalidator) error {
	if _, loaded := h.caches.LoadOrStore(kind, c); loaded {
		return fmt.Errorf("cache kind %q: already built on this hub", string(kind))
	}
	return nil
}
