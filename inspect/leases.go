package inspect

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Lease is one lease key as leader/ writes it: value "<holder>#<token>", TTL the lease ttl,
// and a fencing counter beside it.
type Lease struct {
	Key          string `json:"key"`
	Held         bool   `json:"held"`
	Holder       string `json:"holder"`
	Token        int64  `json:"token"`
	TTLMs        int64  `json:"ttl_ms"`        // -2 when the lease is free
	FenceCounter int64  `json:"fence_counter"` // last token handed out (0 if never acquired)
}

// Replica is one live miner replica in the replica set.
type Replica struct {
	ID            string    `json:"id"`
	LastHeartbeat time.Time `json:"last_heartbeat"` // Redis server clock
	AgeMs         int64     `json:"age_ms"`         // by the Redis server clock at the read
}

// Leader is the answer of Leader.
type Leader struct {
	Duty     string    `json:"duty"`
	Lease    Lease     `json:"lease"`
	Replicas []Replica `json:"replicas"`
}

// Leader reads the lease of the singleton duty (the global leader for "global") and the
// replica set with each replica's last heartbeat.
func (in *Inspector) Leader(ctx context.Context, duty string) (*Leader, error) {
	if duty == "" {
		duty = "global"
	}
	l, err := in.lease(ctx, in.keys.LeaderLease(duty))
	if err != nil {
		return nil, err
	}
	out := &Leader{Duty: duty, Lease: l, Replicas: []Replica{}}
	zs, err := in.rdb.ZRangeWithScores(ctx, in.keys.MinerReplicas(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("read replicas: %w", err)
	}
	now, err := in.rdb.Time(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("read server time: %w", err)
	}
	for _, z := range zs {
		at := time.UnixMilli(int64(z.Score)).UTC()
		out.Replicas = append(out.Replicas, Replica{ID: fmt.Sprint(z.Member), LastHeartbeat: at,
			AgeMs: now.Sub(at).Milliseconds()})
	}
	return out, nil
}

// lease reads one lease key and its fencing counter (same hash slot) in one pipeline.
func (in *Inspector) lease(ctx context.Context, key string) (Lease, error) {
	p := in.rdb.Pipeline()
	val := p.Get(ctx, key)
	ttl := p.PTTL(ctx, key)
	fence := p.Get(ctx, in.keys.FencingCounter(key))
	if _, err := p.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return Lease{}, fmt.Errorf("read lease %s: %w", key, err)
	}
	l := Lease{Key: key, TTLMs: ttlMillis(ttl.Val())}
	if v, err := val.Result(); err == nil {
		l.Held = true
		l.Holder, l.Token = splitLeaseValue(v)
	}
	if v, err := fence.Result(); err == nil {
		l.FenceCounter, _ = strconv.ParseInt(v, 10, 64)
	}
	return l, nil
}

// splitLeaseValue splits "<holder>#<token>" at its last '#'.
func splitLeaseValue(v string) (string, int64) {
	i := strings.LastIndexByte(v, '#')
	if i < 0 {
		return v, 0
	}
	tok, err := strconv.ParseInt(v[i+1:], 10, 64)
	if err != nil {
		return v, 0
	}
	return v[:i], tok
}

// SupplierLease is the ownership of one supplier.
type SupplierLease struct {
	Supplier string `json:"supplier"`
	Lease
}

// Suppliers is the answer of Suppliers.
type Suppliers struct {
	Suppliers []SupplierLease `json:"suppliers"`
}

// Suppliers lists every supplier that has a lease, a fencing counter or a relay stream, with
// the holder, token and TTL of its lease (held false: nobody owns it now).
func (in *Inspector) Suppliers(ctx context.Context) (*Suppliers, error) {
	set := map[string]struct{}{}
	leaderPat := in.keys.LeaderLease(wild)
	for _, build := range []func(string) string{
		in.keys.SupplierLease,
		func(op string) string { return in.keys.FencingCounter(in.keys.SupplierLease(op)) },
		in.keys.RelayStream,
	} {
		ks, err := in.scanKeys(ctx, build(wild))
		if err != nil {
			return nil, err
		}
		for _, k := range ks {
			if _, ok := match(leaderPat, k); ok {
				continue
			}
			if _, ok := match(in.keys.FencingCounter(leaderPat), k); ok {
				continue
			}
			if vs, ok := match(build(wild), k); ok && len(vs) == 1 {
				set[vs[0]] = struct{}{}
			}
		}
	}
	out := &Suppliers{Suppliers: []SupplierLease{}}
	for _, op := range sortedKeys(set) {
		l, err := in.lease(ctx, in.keys.SupplierLease(op))
		if err != nil {
			return nil, err
		}
		out.Suppliers = append(out.Suppliers, SupplierLease{Supplier: op, Lease: l})
	}
	return out, nil
}
