package cache

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

func TestL2HitFromSecondProcess(t *testing.T) {
	srv := redistest.Start(t)
	a, b := newProcess(t, srv.Client(), false), newProcess(t, srv.Client(), false)
	l := &countingLoader{vals: map[string]uint64{"svc/10": 7}}
	ca, cb := newUintCache(t, a, KindServiceCUPR, l, false), newUintCache(t, b, KindServiceCUPR, l, false)
	ctx := context.Background()
	if v, err := ca.Get(ctx, "svc/10"); err != nil || v != 7 {
		t.Fatalf("a: %d, %v", v, err)
	}
	if v, err := cb.Get(ctx, "svc/10"); err != nil || v != 7 {
		t.Fatalf("b: %d, %v", v, err)
	}
	if n := l.count(); n != 1 {
		t.Fatalf("chain loads = %d, want 1", n)
	}
	if h := counter(t, b.reg, "relayminer_cache_hits_total", map[string]string{"kind": "service_cupr", "tier": "l2"}); h != 1 {
		t.Fatalf("b l2 hits = %v, want 1", h)
	}
}

func TestConcurrentMissesAcrossProcessesLoadOnce(t *testing.T) {
	for _, mode := range []string{"standalone", "cluster"} {
		t.Run(mode, func(t *testing.T) {
			var mk func() redis.UniversalClient
			if mode == "cluster" {
				cl := redistest.StartCluster(t)
				mk = func() redis.UniversalClient { return cl.Client() }
			} else {
				srv := redistest.Start(t)
				mk = func() redis.UniversalClient { return srv.Client() }
			}
			l := &countingLoader{vals: map[string]uint64{"k": 42}, gate: make(chan struct{}), began: make(chan struct{}, 1)}
			var caches []*Cache[string, uint64]
			for range 2 {
				caches = append(caches, newUintCache(t, newProcess(t, mk(), false), KindServiceCUPR, l, false))
			}
			ctx := context.Background()
			var wg sync.WaitGroup
			errs := make(chan error, 40)
			for i := range 40 {
				wg.Go(func() {
					v, err := caches[i%2].Get(ctx, "k")
					if err == nil && v != 42 {
						err = errors.New("wrong value")
					}
					errs <- err
				})
			}
			<-l.began // one loader runs; everyone else is queued behind singleflight or the lock
			close(l.gate)
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if n := l.count(); n != 1 {
				t.Fatalf("chain loads = %d, want exactly 1 fleet-wide", n)
			}
		})
	}
}

func TestLockHolderDeathFallsBackToLoading(t *testing.T) {
	srv := redistest.Start(t)
	p := newProcess(t, srv.Client(), false)
	l := &countingLoader{vals: map[string]uint64{"k": 5}}
	c, err := New(p.hub, Options[string, uint64]{Kind: KindServiceCUPR, Codec: Uint64Codec(), Load: l.load,
		LockTTL: 200 * time.Millisecond, PollInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// A process took the lock and died without writing L2 or releasing it.
	ctx := context.Background()
	if err := p.rdb.Set(ctx, testKeys.CacheLock("service_cupr", "k"), "dead", 200*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Get(ctx, "k"); err != nil || v != 5 {
		t.Fatalf("%d, %v", v, err)
	}
	if n := l.count(); n != 1 {
		t.Fatalf("loads = %d", n)
	}
}

func TestInvalidationReachesOtherProcess(t *testing.T) {
	srv := redistest.Start(t)
	a, b := newProcess(t, srv.Client(), true), newProcess(t, srv.Client(), true)
	l := &countingLoader{vals: map[string]uint64{"k": 1}}
	ca, cb := newUintCache(t, a, KindServiceCUPR, l, false), newUintCache(t, b, KindServiceCUPR, l, false)
	ctx := context.Background()
	for _, c := range []*Cache[string, uint64]{ca, cb} {
		if _, err := c.Get(ctx, "k"); err != nil {
			t.Fatal(err)
		}
	}
	if cb.Len() != 1 {
		t.Fatal("b has no L1 entry")
	}
	l.set("k", 2, nil)
	if err := ca.Invalidate(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b's L1 entry to be dropped", func() bool { return cb.Len() == 0 })
	if v, err := cb.Get(ctx, "k"); err != nil || v != 2 {
		t.Fatalf("after invalidation b got %d, %v; want 2", v, err)
	}
}

func TestErrorsAndInvalidValuesAreNotCached(t *testing.T) {
	srv := redistest.Start(t)
	p := newProcess(t, srv.Client(), false)
	l := &countingLoader{vals: map[string]uint64{}}
	c := newUintCache(t, p, KindSupplier, l, true)
	ctx := context.Background()
	boom := errors.New("chain down")

	l.set("s", 3, boom)
	if _, err := c.Get(ctx, "s"); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the load error", err)
	}
	l.set("s", 0, nil) // a partial answer: rejected by Validate
	if _, err := c.Get(ctx, "s"); !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("err = %v, want ErrInvalidValue", err)
	}
	if n, _ := p.rdb.Exists(ctx, testKeys.CacheEntry("supplier", "s")).Result(); n != 0 || c.Len() != 0 {
		t.Fatalf("a failed or invalid load was cached: l2=%d l1=%d", n, c.Len())
	}
	l.set("s", 9, nil)
	if v, err := c.Get(ctx, "s"); err != nil || v != 9 {
		t.Fatalf("%d, %v", v, err)
	}
	if n := l.count(); n != 3 {
		t.Fatalf("loads = %d, want 3 (nothing cached before the good answer)", n)
	}
	if e := counter(t, p.reg, "relayminer_cache_errors_total", map[string]string{"kind": "supplier"}); e < 2 {
		t.Fatalf("errors counted = %v", e)
	}
}

func TestLiveStaleOnError(t *testing.T) {
	srv := redistest.Start(t)
	p := newProcess(t, srv.Client(), false)
	l := &countingLoader{vals: map[string]uint64{"app": 100}}
	c := newUintCache(t, p, KindApplication, l, true)
	ctx := context.Background()
	if v, _ := c.Get(ctx, "app"); v != 100 {
		t.Fatalf("first get %d", v)
	}
	// The entry expires everywhere and the chain fails: readers keep the last good value.
	c.l1.expire("app")
	_ = p.rdb.Del(ctx, testKeys.CacheEntry("application", "app")).Err()
	l.set("app", 200, errors.New("unavailable"))
	v, err := c.Get(ctx, "app")
	if err != nil || v != 100 {
		t.Fatalf("stale get = %d, %v; want the last good 100", v, err)
	}
	if s := counter(t, p.reg, "relayminer_cache_stale_serves_total", map[string]string{"kind": "application"}); s != 1 {
		t.Fatalf("stale serves = %v, want 1", s)
	}
	// Until StaleRetry passes the value is served without asking the chain again.
	before := l.count()
	for range 10 {
		if v, _ := c.Get(ctx, "app"); v != 100 {
			t.Fatal("stale value lost")
		}
	}
	if l.count() != before {
		t.Fatal("readers queued behind the failing chain")
	}
}

func TestLiveRefreshDoesNotBlockReaders(t *testing.T) {
	srv := redistest.Start(t)
	p := newProcess(t, srv.Client(), false)
	l := &countingLoader{vals: map[string]uint64{"app": 1}}
	c := newUintCache(t, p, KindApplication, l, true)
	ctx := context.Background()
	if _, err := c.Get(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	c.l1.expire("app")
	_ = p.rdb.Del(ctx, testKeys.CacheEntry("application", "app")).Err()
	gate := make(chan struct{})
	l.mu.Lock()
	l.gate, l.began, l.vals["app"] = gate, make(chan struct{}, 1), 2
	began := l.began
	l.mu.Unlock()
	done := make(chan uint64)
	go func() { v, _ := c.Get(ctx, "app"); done <- v }()
	<-began
	// One caller is refreshing (blocked on the chain); the others get the old value at once.
	if v, err := c.Get(ctx, "app"); err != nil || v != 1 {
		t.Fatalf("reader during refresh got %d, %v", v, err)
	}
	close(gate)
	if v := <-done; v != 2 {
		t.Fatalf("refresher got %d, want 2", v)
	}
	if v, _ := c.Get(ctx, "app"); v != 2 {
		t.Fatalf("after refresh %d", v)
	}
}

func TestRedisDownStillServesFromChain(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: deadAddr(t), MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	p := newProcess(t, rdb, false)
	l := &countingLoader{vals: map[string]uint64{"k": 3}}
	c := newUintCache(t, p, KindServiceCUPR, l, false)
	if v, err := c.Get(context.Background(), "k"); err != nil || v != 3 {
		t.Fatalf("%d, %v", v, err)
	}
}

func TestL1SizeBound(t *testing.T) {
	l := newL1[int, int](time.Hour, 100)
	for i := range 1000 {
		l.store(i, i)
	}
	if n := l.len(); n > 100 {
		t.Fatalf("l1 holds %d entries, bound 100", n)
	}
}

func TestCodecs(t *testing.T) {
	u := Uint64Codec()
	b, _ := u.Marshal(1 << 40)
	if v, err := u.Unmarshal(b); err != nil || v != 1<<40 {
		t.Fatalf("uint64 %d %v", v, err)
	}
	bl := BytesListCodec()
	in := [][]byte{{1, 2, 3}, {}, make([]byte, 33)}
	b, _ = bl.Marshal(in)
	out, err := bl.Unmarshal(b)
	if err != nil || len(out) != 3 || len(out[0]) != 3 || len(out[2]) != 33 {
		t.Fatalf("bytes list %v %v", out, err)
	}
	if _, err := bl.Unmarshal([]byte{5, 1}); err == nil {
		t.Fatal("truncated list decoded")
	}
}
