package miner

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pokt-network/poktroll/pkg/crypto/protocol"
	"github.com/pokt-network/smt"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/leader"
	"github.com/shannon-ops/pocket-relay-miner/transport"
	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

// BenchmarkConsume measures one supplier's apply path end to end against a real redis-server,
// through the consumer's own Run loop: XREADGROUP → decode → tree → fenced MULTI/EXEC with XACK
// (the commit of one batch overlapping the tree work of the next), per batch size. One op is one
// relay; the clock stops when the last batch has landed.
func BenchmarkConsume(b *testing.B) {
	for _, batch := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			srv := redistest.Start(b)
			admin := srv.Client()
			defer admin.Close()
			hook := &tcFailExec{}
			rdb := srv.Client()
			defer rdb.Close()
			rdb.AddHook(hook)

			msgs := tcRelays(tcTestSupplier, tcTestSession, 0, b.N)
			tcXadd(b, admin, msgs...)
			fence := tcAcquire(b, admin, tcTestSupplier, "bench")
			if err := leader.Renew(context.Background(), admin, fence, time.Hour); err != nil {
				b.Fatal(err) // a loaded machine can take minutes
			}
			done := &tcCountHooks{want: int64(b.N), all: make(chan struct{})}
			cfg := ConsumerConfig{
				Supplier: tcTestSupplier, Consumer: "bench", Fence: fence,
				BatchSize: batch, BlockTimeout: 10 * time.Millisecond, Hooks: done, Log: zerolog.Nop(),
			}
			c, err := NewConsumer(rdb, tcTestKeys, cfg, NewConsumeMetrics(prometheus.NewRegistry()))
			if err != nil {
				b.Fatal(err)
			}
			if err := transport.EnsureGroup(context.Background(), rdb, c.stream); err != nil {
				b.Fatal(err)
			}
			hook.roundTrip.Store(0)
			b.ReportAllocs()
			b.ResetTimer()
			goCPU0, redisCPU0 := tcProcessCPU(b), tcRedisCPU(b, admin)
			begin := time.Now()
			ctx, cancel := context.WithCancel(context.Background())
			w := StartWorker(ctx, c)
			select {
			case <-done.all:
			case <-w.Done():
				b.Fatalf("consumer stopped early: %v", w.Stop())
			}
			elapsed := time.Since(begin)
			goCPU, redisCPU := tcProcessCPU(b)-goCPU0, tcRedisCPU(b, admin)-redisCPU0
			trips := hook.roundTrip.Load()
			b.StopTimer()
			cancel()
			if err := w.Stop(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "relays/s")
			b.ReportMetric(goCPU.Seconds()*1e6/float64(b.N), "go-cpu-µs/relay")
			b.ReportMetric(redisCPU.Seconds()*1e6/float64(b.N), "redis-cpu-µs/relay")
			b.ReportMetric(float64(trips)/float64(b.N), "roundtrips/relay")
			n, err := admin.HGet(context.Background(), tcTestKeys.TreeMeta(tcTestSupplier, tcTestSession), metaCount).Int()
			if err != nil || n != b.N {
				b.Fatalf("committed tree holds %d relays (%v), want %d", n, err, b.N)
			}
		})
	}
}

// tcCountHooks closes all once want entries have been committed.
type tcCountHooks struct {
	want, n int64
	all     chan struct{}
}

func (h *tcCountHooks) AfterRead(int) error  { return nil }
func (h *tcCountHooks) AfterApply(int) error { return nil }
func (h *tcCountHooks) AfterCommit(n int) error {
	h.n += int64(n) // hooks run under the consumer's lock
	if h.n == h.want {
		close(h.all)
	}
	return nil
}

// tcRenew extends the benchmark's lease (one minute) so a slow run does not lose it.
func tcRenew(b *testing.B, rdb redis.UniversalClient, f leader.Fence) {
	if err := leader.Renew(context.Background(), rdb, f, time.Minute); err != nil {
		b.Fatal(err)
	}
}

// tcProcessCPU returns the user+system CPU time of this process (every goroutine, GC included).
func tcProcessCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// tcRedisCPU returns the user+system CPU time of the redis-server (INFO cpu), so the cost a
// change moves from this process to Redis (or back) is visible on a loaded machine.
func tcRedisCPU(b *testing.B, rdb redis.UniversalClient) time.Duration {
	info, err := rdb.Info(context.Background(), "cpu").Result()
	if err != nil {
		b.Fatal(err)
	}
	var total float64
	for _, line := range strings.Split(info, "\r\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				b.Fatal(err)
			}
			total += f
		}
	}
	return time.Duration(total * float64(time.Second))
}

// BenchmarkTree100k measures claim and proof building on a committed 100,000-relay tree: the
// root (claim), opening the committed tree from Redis as a new owner would (live nodes, level by level), and the
// proof (ProveClosest + CompactClosestProof + gob Marshal).
func BenchmarkTree100k(b *testing.B) {
	const n = 100_000
	rdb := redistest.Start(b).Client()
	defer rdb.Close()
	ctx := context.Background()
	f := tcAcquire(b, rdb, tcTestSupplier, "bench")
	tr, err := OpenTree(ctx, rdb, tcTestKeys, tcTestHeader(tcTestSupplier, tcTestSession))
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		m := tcTestRelay(tcTestSupplier, tcTestSession, i)
		if _, err := tr.Insert(&m); err != nil {
			b.Fatal(err)
		}
		if (i+1)%1000 == 0 {
			tcRenew(b, rdb, f)
			tcCommitTrees(b, rdb, f, tr)
		}
	}
	spec := protocol.NewSMTSpec()
	b.Run("claim_root", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if len(tr.Root()) != RootSize {
				b.Fatal("bad root")
			}
		}
	})
	b.Run("open_committed", func(b *testing.B) { // as the consumer does when it takes a supplier over
		b.ReportAllocs()
		for b.Loop() {
			t2, err := openTree(ctx, rdb, tcTestKeys, tcTestHeader(tcTestSupplier, tcTestSession), true)
			if err != nil || t2.Count() != n {
				b.Fatalf("open: %v", err)
			}
			t2.Close()
		}
	})
	b.Run("open_lazy_and_prove", func(b *testing.B) { // as the lifecycle does for a sealed tree
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			t2, err := OpenTree(ctx, rdb, tcTestKeys, tcTestHeader(tcTestSupplier, tcTestSession))
			if err != nil || t2.Count() != n {
				b.Fatalf("open: %v", err)
			}
			path := sha256.Sum256(fmt.Appendf(nil, "seed%d%s", i, tcTestSession))
			p, err := t2.ProveClosest(path[:])
			if err != nil {
				b.Fatal(err)
			}
			if _, err := smt.CompactClosestProof(p, spec); err != nil {
				b.Fatal(err)
			}
			t2.Close()
		}
	})
	b.Run("redis_nodes", func(b *testing.B) { // HLEN and MEMORY USAGE of the nodes hash: orphans are kept
		key := tcTestKeys.TreeNodes(tcTestSupplier, tcTestSession)
		fields, err := rdb.HLen(ctx, key).Result()
		if err != nil {
			b.Fatal(err)
		}
		bytes, err := rdb.MemoryUsage(ctx, key, 0).Result()
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
		}
		b.ReportMetric(float64(fields), "fields")
		b.ReportMetric(float64(bytes)/(1<<20), "MiB")
	})
	b.Run("proof", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			path := sha256.Sum256(fmt.Appendf(nil, "seed%d%s", i, tcTestSession))
			p, err := tr.ProveClosest(path[:])
			if err != nil {
				b.Fatal(err)
			}
			cp, err := smt.CompactClosestProof(p, spec)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := cp.Marshal(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
