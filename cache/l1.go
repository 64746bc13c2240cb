package cache

import (
	"sync/atomic"
	"time"

	"github.com/puzpuzpuz/xsync/v4"
)

// entry is one L1 value. The value never changes; a newer value is a new entry.
type entry[T any] struct {
	val        T
	expires    atomic.Int64 // unix nanoseconds; at or after it the value is stale
	refreshing atomic.Bool  // live kinds: one caller is fetching a newer value
}

func (e *entry[T]) fresh(now int64) bool { return now < e.expires.Load() }

// l1 is the in-process tier: a concurrent map with a TTL per entry and a size bound.
//
// Eviction: when an insert finds the map at its bound, one inserter (the others skip) drops
// every expired entry and, if that freed less than a tenth of the bound, further entries in
// the map's iteration order (which follows key hashes, so it is effectively random) until a
// tenth is free. Random eviction costs nothing on the read path, where LRU would need a write
// per hit.
type l1[K comparable, T any] struct {
	m        *xsync.Map[K, *entry[T]]
	ttl      time.Duration
	max      int
	evicting atomic.Bool
}

func newL1[K comparable, T any](ttl time.Duration, max int) *l1[K, T] {
	return &l1[K, T]{m: xsync.NewMap[K, *entry[T]](), ttl: ttl, max: max}
}

func (l *l1[K, T]) load(k K) (*entry[T], bool) { return l.m.Load(k) }

// store puts v under k, fresh for the tier's TTL.
func (l *l1[K, T]) store(k K, v T) {
	if l.m.Size() >= l.max {
		l.evict()
	}
	e := &entry[T]{val: v}
	e.expires.Store(time.Now().Add(l.ttl).UnixNano())
	l.m.Store(k, e)
}

func (l *l1[K, T]) evict() {
	if !l.evicting.CompareAndSwap(false, true) {
		return
	}
	defer l.evicting.Store(false)
	want := max(l.max/10, 1)
	now := time.Now().UnixNano()
	freed := l.m.DeleteMatching(func(_ K, e *entry[T]) (bool, bool) {
		return !e.fresh(now), false
	})
	if freed >= want {
		return
	}
	l.m.DeleteMatching(func(K, *entry[T]) (bool, bool) {
		freed++
		return true, freed >= want
	})
}

// expire marks the entry of k stale but keeps its value for stale serving.
func (l *l1[K, T]) expire(k K) {
	if e, ok := l.m.Load(k); ok {
		e.expires.Store(0)
	}
}

func (l *l1[K, T]) delete(k K) { l.m.Delete(k) }

func (l *l1[K, T]) len() int { return l.m.Size() }
