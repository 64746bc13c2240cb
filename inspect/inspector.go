package inspect

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shannon-ops/pocket-relay-miner/miner"
	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// scanCount is the COUNT hint of every SCAN call.
const scanCount = 1000

// Inspector reads one deployment's Redis under one key layout.
type Inspector struct {
	rdb    redis.UniversalClient
	keys   transport.Keys
	states *miner.StateStore
}

// New returns an Inspector over rdb with the layout keys. It does no I/O.
func New(rdb redis.UniversalClient, keys transport.Keys) (*Inspector, error) {
	// The store is only read here; its TTL settings matter for writes alone.
	st, err := miner.NewStateStore(rdb, keys, miner.StateStoreConfig{BlockTime: time.Second, TTLSessions: 1})
	if err != nil {
		return nil, err
	}
	return &Inspector{rdb: rdb, keys: keys, states: st}, nil
}

// scan calls fn with every key matching pattern, on every master of a Cluster. fn may be
// called from several goroutines at once on a Cluster.
func (in *Inspector) scan(ctx context.Context, pattern string, fn func(key string)) error {
	one := func(ctx context.Context, c redis.Cmdable) error {
		var cursor uint64
		for {
			ks, next, err := c.Scan(ctx, cursor, pattern, scanCount).Result()
			if err != nil {
				return fmt.Errorf("scan %s: %w", pattern, err)
			}
			for _, k := range ks {
				fn(k)
			}
			if next == 0 {
				return nil
			}
			cursor = next
		}
	}
	if cc, ok := in.rdb.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return one(ctx, c) })
	}
	return one(ctx, in.rdb)
}

// scanKeys returns every key matching pattern, deduplicated (SCAN may repeat keys) and in no
// particular order.
func (in *Inspector) scanKeys(ctx context.Context, pattern string) ([]string, error) {
	var (
		mu   sync.Mutex
		seen = map[string]struct{}{}
		out  []string
	)
	err := in.scan(ctx, pattern, func(k string) {
		mu.Lock()
		defer mu.Unlock()
		if _, ok := seen[k]; !ok {
			seen[k] = struct{}{}
			out = append(out, k)
		}
	})
	return out, err
}

// wild is the wildcard put in place of a variable part of a key when building a SCAN pattern or
// a family matcher from the layout constructor.
const wild = "*"

// suppliersWith returns the operators that own at least one key of the family whose
// per-supplier constructor is build (called with the wildcard), sorted.
func (in *Inspector) suppliersWith(ctx context.Context, build func(op string) string) ([]string, error) {
	ks, err := in.scanKeys(ctx, build(wild))
	if err != nil {
		return nil, err
	}
	set := map[string]struct{}{}
	for _, k := range ks {
		if vs, ok := match(build(wild), k); ok && len(vs) == 1 {
			set[vs[0]] = struct{}{}
		}
	}
	return sortedKeys(set), nil
}

// match reports whether key matches pattern, in which "*" stands for any run of characters
// (and no other character is special), and returns what each "*" matched. Several "*" are
// matched leftmost-shortest, except the last, which takes the rest of the key when it ends the
// pattern.
func match(pattern, key string) ([]string, bool) {
	parts := strings.Split(pattern, wild)
	if !strings.HasPrefix(key, parts[0]) {
		return nil, false
	}
	rest := key[len(parts[0]):]
	var vals []string
	for i, p := range parts[1:] {
		last := i == len(parts)-2
		if last {
			if !strings.HasSuffix(rest, p) || len(rest) < len(p) {
				return nil, false
			}
			vals = append(vals, rest[:len(rest)-len(p)])
			return vals, true
		}
		j := strings.Index(rest, p)
		if j < 0 {
			return nil, false
		}
		vals = append(vals, rest[:j])
		rest = rest[j+len(p):]
	}
	return vals, rest == ""
}

// ttlMillis converts a PTTL reply to milliseconds; -1 (no expiry) and -2 (no key) stay as they are.
func ttlMillis(d time.Duration) int64 {
	if d < 0 {
		return int64(d / time.Nanosecond) // go-redis reports -1ns / -2ns
	}
	return d.Milliseconds()
}

// ErrUsage marks an error caused by the caller's arguments.
var ErrUsage = errors.New("invalid arguments")

func usagef(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, a...))
}
