package meter

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/transport"
	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

var keys = transport.MustKeys("t")

func newMeter(t testing.TB, rdb redis.UniversalClient, mode config.FailMode) *Meter {
	t.Helper()
	m, err := New(rdb, keys, mode, zerolog.Nop(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func decisions(m *Meter, o Outcome) int {
	for i, x := range outcomes {
		if x == o {
			var d dto.Metric
			_ = m.m.decisions[i].Write(&d)
			return int(d.GetCounter().GetValue())
		}
	}
	panic("unknown outcome")
}

// testNeverExceeds: 50 goroutines × 100 relays of cost 7 against a budget of 1234 consume
// exactly floor(1234/7)*7 = 1232.
func testNeverExceeds(t *testing.T, rdb redis.UniversalClient) {
	m := newMeter(t, rdb, config.FailClosed)
	const budget, cost = 1234, 7
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			for range 100 {
				d, err := m.Consume(context.Background(), "pokt1sup", "sess", budget, cost, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if d.Consumed > budget {
					t.Errorf("consumed %d over budget", d.Consumed)
				}
				if d.Outcome == OutcomeAllowed {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	want := int64(budget / cost)
	if allowed.Load() != want {
		t.Fatalf("allowed %d relays, want %d", allowed.Load(), want)
	}
	v, _ := rdb.Get(context.Background(), keys.Meter("pokt1sup", "sess")).Int64()
	if v != want*cost {
		t.Fatalf("consumed %d, want %d", v, want*cost)
	}
	if decisions(m, OutcomeAllowed) != int(want) || decisions(m, OutcomeOverServiced) != 5000-int(want) {
		t.Fatal("decision counters disagree")
	}
}

func TestConcurrentConsumersNeverExceedBudget(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	defer rdb.Close()
	testNeverExceeds(t, rdb)
}

func TestConcurrentConsumersNeverExceedBudgetCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	rdb := c.Client()
	defer rdb.Close()
	testNeverExceeds(t, rdb)
}

func TestRefundAndIndependentSuppliers(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	defer rdb.Close()
	m := newMeter(t, rdb, config.FailOpen)
	ctx := context.Background()
	consume := func(sup string) Decision {
		t.Helper()
		d, err := m.Consume(ctx, sup, "sess", 10, 4, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// Supplier A: 4, 8, then over.
	if d := consume("pokt1a"); d.Outcome != OutcomeAllowed || d.Consumed != 4 {
		t.Fatalf("%+v", d)
	}
	consume("pokt1a")
	if d := consume("pokt1a"); d.Outcome != OutcomeOverServiced || d.Consumed != 8 {
		t.Fatalf("third: %+v", d)
	}
	// Supplier B in the same session has its own budget.
	if d := consume("pokt1b"); d.Outcome != OutcomeAllowed || d.Consumed != 4 {
		t.Fatalf("supplier b: %+v", d)
	}
	// Refund restores A's budget.
	if err := m.Refund(ctx, "pokt1a", "sess", 4); err != nil {
		t.Fatal(err)
	}
	if d := consume("pokt1a"); d.Outcome != OutcomeAllowed || d.Consumed != 8 {
		t.Fatalf("after refund: %+v", d)
	}
	// Refund never goes below zero, and keeps the TTL.
	for range 5 {
		if err := m.Refund(ctx, "pokt1b", "sess", 4); err != nil {
			t.Fatal(err)
		}
	}
	k := keys.Meter("pokt1b", "sess")
	if v, _ := rdb.Get(ctx, k).Int64(); v != 0 {
		t.Fatalf("consumed after over-refund = %d", v)
	}
	if ttl := rdb.PTTL(ctx, k).Val(); ttl <= 0 || ttl > time.Minute {
		t.Fatalf("TTL after refund = %v", ttl)
	}
	// A refund to a missing key creates nothing.
	if err := m.Refund(ctx, "pokt1c", "sess", 4); err != nil {
		t.Fatal(err)
	}
	if rdb.Exists(ctx, keys.Meter("pokt1c", "sess")).Val() != 0 {
		t.Fatal("refund created a key")
	}
}

func TestTTL(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	defer rdb.Close()
	m := newMeter(t, rdb, config.FailOpen)
	ctx := context.Background()
	if _, err := m.Consume(ctx, "pokt1a", "s1", 100, 1, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Consume(ctx, "pokt1a", "s1", 100, 1, 10*time.Second); err != nil { // never lowered
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(ctx, keys.Meter("pokt1a", "s1")).Val(); ttl <= 80*time.Second || ttl > 90*time.Second {
		t.Fatalf("TTL %v, want ≈90s", ttl)
	}
	if _, err := m.Consume(ctx, "pokt1a", "s1", 100, 1, time.Hour); err != nil { // raised
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(ctx, keys.Meter("pokt1a", "s1")).Val(); ttl <= 59*time.Minute || ttl > time.Hour {
		t.Fatalf("TTL %v, want ≈1h", ttl)
	}
	// An over-serviced relay also keeps the key (and so the refusal) alive.
	if _, err := m.Consume(ctx, "pokt1a", "s1", 2, 1, 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(ctx, keys.Meter("pokt1a", "s1")).Val(); ttl <= 119*time.Minute {
		t.Fatalf("TTL %v after an over-serviced call, want ≈2h", ttl)
	}
	if _, err := m.Consume(ctx, "pokt1a", "s2", 100, 1, 0); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(ctx, keys.Meter("pokt1a", "s2")).Val(); ttl <= 0 || ttl > MinTTL {
		t.Fatalf("zero ttl: key TTL %v, want (0, MinTTL]", ttl)
	}
}

func TestLargeAmounts(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	defer rdb.Close()
	m := newMeter(t, rdb, config.FailOpen)
	ctx := context.Background()
	const big = uint64(4_000_000_000_000_000) // 4e15 upokt: Lua must not print 4e+15
	for i := range 2 {
		d, err := m.Consume(ctx, "pokt1a", "s", MaxUnits, big, time.Minute)
		if err != nil || d.Outcome != OutcomeAllowed || d.Consumed != big*uint64(i+1) {
			t.Fatalf("%d: %+v %v", i, d, err)
		}
	}
	if d, _ := m.Consume(ctx, "pokt1a", "s", ^uint64(0), big, time.Minute); d.Outcome != OutcomeOverServiced {
		t.Fatalf("clamped budget: %+v", d)
	}
	if err := m.Refund(ctx, "pokt1a", "s", big); err != nil {
		t.Fatal(err)
	}
	if v, _ := rdb.Get(ctx, keys.Meter("pokt1a", "s")).Uint64(); v != big {
		t.Fatalf("after refund %d", v)
	}
}

func TestFailModes(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer rdb.Close()
	open, closed := newMeter(t, rdb, config.FailOpen), newMeter(t, rdb, config.FailClosed)
	srv.Kill()
	ctx := context.Background()
	d, err := open.Consume(ctx, "pokt1a", "s", 10, 1, time.Minute)
	if err == nil || d.Outcome != OutcomeFailOpen || !d.Serve() || d.Refundable() {
		t.Fatalf("open: %+v %v", d, err)
	}
	d, err = closed.Consume(ctx, "pokt1a", "s", 10, 1, time.Minute)
	if err == nil || d.Outcome != OutcomeFailClosed || d.Serve() {
		t.Fatalf("closed: %+v %v", d, err)
	}
	if decisions(open, OutcomeFailOpen) != 1 || decisions(closed, OutcomeFailClosed) != 1 {
		t.Fatal("fail decisions not counted")
	}
	if err := open.Refund(ctx, "pokt1a", "s", 1); err == nil {
		t.Fatal("refund with Redis down: want an error")
	}
	// Redis comes back: the script is loaded again on demand (NOSCRIPT → EVAL).
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if d, err := closed.Consume(ctx, "pokt1a", "s", 10, 1, time.Minute); err != nil || d.Outcome != OutcomeAllowed {
		t.Fatalf("after restart: %+v %v", d, err)
	}
}

func TestSkipAndNew(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	defer rdb.Close()
	m := newMeter(t, rdb, config.FailOpen)
	if d := m.Skip(); !d.Serve() || d.Refundable() || decisions(m, OutcomeSkipped) != 1 {
		t.Fatal("skip")
	}
	if _, err := New(rdb, keys, "maybe", zerolog.Nop(), prometheus.NewRegistry()); err == nil {
		t.Fatal("unknown fail mode accepted")
	}
	reg := prometheus.NewRegistry()
	newMeterReg := func() error { _, err := New(rdb, keys, config.FailOpen, zerolog.Nop(), reg); return err }
	if err := newMeterReg(); err != nil {
		t.Fatal(err)
	}
	if err := newMeterReg(); err == nil {
		t.Fatal("second registration on one registry: want an error")
	}
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "relayminer_meter_decisions_total" && len(mf.GetMetric()) != len(outcomes) {
			t.Fatalf("decision series at start: %d", len(mf.GetMetric()))
		}
	}
}

func BenchmarkConsume(b *testing.B) {
	srv := redistest.Start(b)
	rdb := srv.Client()
	defer rdb.Close()
	m := newMeter(b, rdb, config.FailOpen)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Consume(ctx, "pokt1a", "s", MaxUnits, 1, time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}
