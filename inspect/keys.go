package inspect

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// family is one kind of key of the layout, recognised by its constructor's pattern.
type family struct {
	name    string
	pattern string
}

// Family names, as shown by Keys.
const (
	FamilyRelayStream = "relay_stream"
	familyOther       = "other"
)

// families lists the layout's key families, most specific first (a leader lease also matches
// the supplier lease pattern).
func (in *Inspector) families() []family {
	k, w := in.keys, wild
	return []family{
		{"leader_lease_fence", k.FencingCounter(k.LeaderLease(w))},
		{"leader_lease", k.LeaderLease(w)},
		{"supplier_lease_fence", k.FencingCounter(k.SupplierLease(w))},
		{"supplier_lease", k.SupplierLease(w)},
		{FamilyRelayStream, k.RelayStream(w)},
		{"smst_nodes", k.TreeNodes(w, w)},
		{"smst_meta", k.TreeMeta(w, w)},
		{"session_index", k.SessionIndex(w)},
		{"session", k.Session(w, w)},
		{"submissions", k.Submissions(w)},
		{"meter", k.Meter(w, w)},
		{"miner_replicas", k.MinerReplicas()},
		{"cache_entry", k.CacheEntry(w, w)},
		{"cache_lock", k.CacheLock(w, w)},
		{"cache_live", k.CacheLiveKeys(w)},
	}
}

// Family returns the name of the key family key belongs to, "other" for a key under the
// prefix that no constructor builds.
func (in *Inspector) Family(key string) string {
	for _, f := range in.families() {
		if _, ok := match(f.pattern, key); ok {
			return f.name
		}
	}
	return familyOther
}

// pattern checks that pattern (default: every key under the prefix) stays under the prefix.
func (in *Inspector) pattern(p string) (string, error) {
	base := in.keys.Prefix() + ":"
	if p == "" {
		return base + wild, nil
	}
	if !strings.HasPrefix(p, base) {
		return "", usagef("pattern %q is outside the key prefix: it must start with %q", p, base)
	}
	return p, nil
}

// FamilyCount is the number and memory of the keys of one family.
type FamilyCount struct {
	Family      string `json:"family"`
	Keys        int64  `json:"keys"`
	MemoryBytes int64  `json:"memory_bytes"`
}

// KeyStats is the answer of Keys.
type KeyStats struct {
	Pattern     string        `json:"pattern"`
	Families    []FamilyCount `json:"families"`
	Keys        int64         `json:"keys"`
	MemoryBytes int64         `json:"memory_bytes"`
}

// Keys counts the keys matching pattern (every key under the prefix when empty) per family,
// with their MEMORY USAGE, by SCAN on every master.
func (in *Inspector) Keys(ctx context.Context, pattern string) (*KeyStats, error) {
	pat, err := in.pattern(pattern)
	if err != nil {
		return nil, err
	}
	ks, err := in.scanKeys(ctx, pat)
	if err != nil {
		return nil, err
	}
	mem, err := in.memoryUsage(ctx, ks)
	if err != nil {
		return nil, err
	}
	byFam := map[string]*FamilyCount{}
	out := &KeyStats{Pattern: pat, Families: []FamilyCount{}}
	for i, k := range ks {
		name := in.Family(k)
		fc := byFam[name]
		if fc == nil {
			fc = &FamilyCount{Family: name}
			byFam[name] = fc
		}
		fc.Keys++
		fc.MemoryBytes += mem[i]
		out.Keys++
		out.MemoryBytes += mem[i]
	}
	for _, name := range sortedKeys(byFam) {
		out.Families = append(out.Families, *byFam[name])
	}
	return out, nil
}

// memoryUsage returns MEMORY USAGE of each key (0 for a key gone since the scan), pipelined;
// go-redis routes each command to its key's node on a Cluster.
func (in *Inspector) memoryUsage(ctx context.Context, ks []string) ([]int64, error) {
	out := make([]int64, len(ks))
	const batch = 500
	for lo := 0; lo < len(ks); lo += batch {
		hi := min(lo+batch, len(ks))
		p := in.rdb.Pipeline()
		cmds := make([]*redis.IntCmd, hi-lo)
		for i := lo; i < hi; i++ {
			cmds[i-lo] = p.MemoryUsage(ctx, ks[i], 0)
		}
		if _, err := p.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("memory usage: %w", err)
		}
		for i, c := range cmds {
			out[lo+i] = c.Val()
		}
	}
	return out, nil
}

// FlushPlan is the answer of Flush: the keys it deletes (or, dry, would delete) and the live
// relay streams it kept.
type FlushPlan struct {
	Pattern        string   `json:"pattern"`
	DryRun         bool     `json:"dry_run"`
	Keys           []string `json:"keys"`
	Deleted        int64    `json:"deleted"`
	SkippedStreams []string `json:"skipped_streams"`
}

// PlanFlush lists the keys under the prefix that match pattern, sorted, leaving out live relay
// streams unless includeStreams. pattern is required and must start with the prefix.
func (in *Inspector) PlanFlush(ctx context.Context, pattern string, includeStreams bool) (*FlushPlan, error) {
	if pattern == "" {
		return nil, usagef("flush needs --pattern")
	}
	pat, err := in.pattern(pattern)
	if err != nil {
		return nil, err
	}
	ks, err := in.scanKeys(ctx, pat)
	if err != nil {
		return nil, err
	}
	plan := &FlushPlan{Pattern: pat, DryRun: true, Keys: []string{}, SkippedStreams: []string{}}
	for _, k := range ks {
		if !includeStreams && in.Family(k) == FamilyRelayStream {
			plan.SkippedStreams = append(plan.SkippedStreams, k)
			continue
		}
		plan.Keys = append(plan.Keys, k)
	}
	sortBy(plan.Keys, func(s string) string { return s })
	sortBy(plan.SkippedStreams, func(s string) string { return s })
	return plan, nil
}

// Flush UNLINKs the keys of plan, one key per command so that it works on a Cluster (go-redis
// routes each to its node), pipelined. It is a write.
func (in *Inspector) Flush(ctx context.Context, plan *FlushPlan) error {
	const batch = 500
	for lo := 0; lo < len(plan.Keys); lo += batch {
		hi := min(lo+batch, len(plan.Keys))
		p := in.rdb.Pipeline()
		cmds := make([]*redis.IntCmd, 0, hi-lo)
		for _, k := range plan.Keys[lo:hi] {
			cmds = append(cmds, p.Unlink(ctx, k))
		}
		if _, err := p.Exec(ctx); err != nil {
			return fmt.Errorf("unlink: %w", err)
		}
		for _, c := range cmds {
			plan.Deleted += c.Val()
		}
	}
	plan.DryRun = false
	return nil
}
