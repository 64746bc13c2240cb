package ring

import (
	"container/list"
	"sync"
	"sync/atomic"
)

// ringCache is a fixed-capacity LRU of prepared rings keyed by RingID. A ring
// is built at most once per residency: concurrent PrepareRing calls for the
// same new ring wait for the one build (sync.Once) instead of repeating it.
type ringCache struct {
	mu    sync.Mutex
	max   int
	order list.List // of *cacheEntry, most recently used first
	items map[RingID]*list.Element

	hits, misses, evictions atomic.Uint64
}

type cacheEntry struct {
	id   RingID
	once sync.Once
	ring *Ring
	err  error
}

func newRingCache(max int) *ringCache {
	return &ringCache{max: max, items: make(map[RingID]*list.Element, max)}
}

// entry returns the entry for id, creating (and possibly evicting for) it.
func (c *ringCache) entry(id RingID) *cacheEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[id]; ok {
		c.order.MoveToFront(el)
		c.hits.Add(1)
		return el.Value.(*cacheEntry)
	}
	c.misses.Add(1)
	e := &cacheEntry{id: id}
	c.items[id] = c.order.PushFront(e)
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*cacheEntry).id)
		c.evictions.Add(1)
	}
	return e
}

// drop removes e if it is still the entry for its id (used when a build
// failed, so bad input does not occupy the cache).
func (c *ringCache) drop(e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[e.id]; ok && el.Value.(*cacheEntry) == e {
		c.order.Remove(el)
		delete(c.items, e.id)
	}
}

func (c *ringCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
