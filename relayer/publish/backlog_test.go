package publish

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/transport"
)

func TestNewValidates(t *testing.T) {
	good := config.Publish{Backlog: 10, Workers: 1, OverflowPolicy: config.OverflowDropNewest}
	cases := map[string]func(c *config.Publish){
		"backlog": func(c *config.Publish) { c.Backlog = 0 },
		"workers": func(c *config.Publish) { c.Workers = 0 },
		"policy":  func(c *config.Publish) { c.OverflowPolicy = "drop_random" },
		"wait 0":  func(c *config.Publish) { c.OverflowPolicy = config.OverflowWait },
	}
	for name, mut := range cases {
		c := good
		mut(&c)
		if _, err := New(&fakePublisher{}, c, testLog, testReg()); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
	if _, err := New(&fakePublisher{}, good, testLog, testReg()); err != nil {
		t.Fatal(err)
	}
}

func TestMetricSeriesExistAtStart(t *testing.T) {
	_, reg := newBacklog(t, &fakePublisher{}, config.Publish{Backlog: 4, Workers: 1, OverflowPolicy: config.OverflowDropNewest})
	if n := seriesCount(reg, "relayminer_publish_dropped_total"); n != len(reasons) {
		t.Fatalf("dropped series: %d; want %d", n, len(reasons))
	}
	for _, name := range []string{"relayminer_publish_backlog_relays", "relayminer_publish_published_total", "relayminer_publish_errors_total"} {
		if n := seriesCount(reg, name); n != 1 {
			t.Errorf("%s: %d series", name, n)
		}
	}
}

func TestDropNewest(t *testing.T) {
	pub := &fakePublisher{}
	b, _ := newBacklog(t, pub, config.Publish{Backlog: 10, Workers: 2, OverflowPolicy: config.OverflowDropNewest})
	for i := range uint64(15) {
		if got, want := b.Enqueue(msg(i)), i < 10; got != want {
			t.Fatalf("Enqueue(%d) = %v, want %v", i, got, want)
		}
	}
	if d := dropped(b, ReasonBacklogFull); d != 5 {
		t.Fatalf("backlog_full = %d, want 5", d)
	}
	stop := startRun(b)
	defer stop()
	eventually(t, "publish", func() bool { return b.Len() == 0 })
	got := pub.ids()
	slices.Sort(got)
	if !slices.Equal(got, seq(0, 10)) {
		t.Fatalf("published %v, want 0..9", got)
	}
}

func TestDropOldest(t *testing.T) {
	pub := &fakePublisher{}
	b, _ := newBacklog(t, pub, config.Publish{Backlog: 10, Workers: 1, OverflowPolicy: config.OverflowDropOldest})
	for i := range uint64(15) {
		if !b.Enqueue(msg(i)) {
			t.Fatalf("Enqueue(%d) refused", i)
		}
	}
	if d := dropped(b, ReasonEvictedOldest); d != 5 {
		t.Fatalf("evicted_oldest = %d, want 5", d)
	}
	stop := startRun(b)
	defer stop()
	eventually(t, "publish", func() bool { return b.Len() == 0 })
	if got := pub.ids(); !slices.Equal(got, seq(5, 15)) {
		t.Fatalf("published %v, want 5..14 in order", got)
	}
}

// TestDropOldestNothingToEvict: when every slot belongs to a batch being sent, the new relay is
// refused as backlog_full.
func TestDropOldestNothingToEvict(t *testing.T) {
	pub := &fakePublisher{gate: make(chan struct{})}
	b, _ := newBacklog(t, pub, config.Publish{Backlog: 2, Workers: 1, OverflowPolicy: config.OverflowDropOldest})
	stop := startRun(b)
	defer stop()
	b.Enqueue(msg(0)) // batch size is 1 for this backlog: the worker takes it and blocks
	eventually(t, "in flight", func() bool { b.mu.Lock(); defer b.mu.Unlock(); return b.inflight == 1 })
	b.Enqueue(msg(1))
	eventually(t, "in flight", func() bool { b.mu.Lock(); defer b.mu.Unlock(); return b.q.len() == 1 })
	if !b.Enqueue(msg(2)) || dropped(b, ReasonEvictedOldest) != 1 {
		t.Fatal("queued relay 1 should be evicted for relay 2")
	}
	pub.gate <- struct{}{} // publish 0 alone; the worker takes 2 next
	eventually(t, "2 in flight", func() bool { b.mu.Lock(); defer b.mu.Unlock(); return b.q.len() == 0 && b.inflight == 1 })
	b.Enqueue(msg(3))
	b.mu.Lock()
	full := b.q.len()+b.inflight == 2 && b.q.len() == 1
	b.mu.Unlock()
	if !full {
		t.Fatal("setup: want one queued and one in flight")
	}
	close(pub.gate)
	eventually(t, "drain", func() bool { return b.Len() == 0 })
	if got := pub.ids(); !slices.Equal(got, []uint64{0, 2, 3}) {
		t.Fatalf("published %v", got)
	}
}

func TestWaitPolicy(t *testing.T) {
	pub := &fakePublisher{}
	b, _ := newBacklog(t, pub, config.Publish{Backlog: 3, Workers: 1, OverflowPolicy: config.OverflowWait, OverflowWait: 20 * time.Millisecond})
	for i := range uint64(3) {
		b.Enqueue(msg(i))
	}
	start := time.Now()
	if b.Enqueue(msg(3)) {
		t.Fatal("full backlog without workers: Enqueue accepted")
	}
	if time.Since(start) < 20*time.Millisecond {
		t.Fatal("wait policy returned before overflow_wait")
	}
	if d := dropped(b, ReasonWaitTimeout); d != 1 {
		t.Fatalf("wait_timeout = %d", d)
	}

	// A waiting Enqueue gets the slot the workers free.
	b.wait = time.Minute
	res := make(chan bool)
	go func() { res <- b.Enqueue(msg(4)) }()
	stop := startRun(b)
	defer stop()
	if !<-res {
		t.Fatal("waiting Enqueue refused although a slot freed")
	}
	eventually(t, "drain", func() bool { return b.Len() == 0 })
	got := pub.ids()
	slices.Sort(got)
	if !slices.Equal(got, []uint64{0, 1, 2, 4}) {
		t.Fatalf("published %v", got)
	}
}

func TestWaitingEnqueueDropsAtShutdown(t *testing.T) {
	b, _ := newBacklog(t, &fakePublisher{}, config.Publish{Backlog: 1, Workers: 1, OverflowPolicy: config.OverflowWait, OverflowWait: time.Minute})
	b.Enqueue(msg(0))
	res := make(chan bool)
	go func() { res <- b.Enqueue(msg(1)) }()
	eventually(t, "waiter", func() bool { b.mu.Lock(); defer b.mu.Unlock(); return b.space != nil })
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if <-res {
		t.Fatal("Enqueue accepted after Flush began")
	}
	if dropped(b, ReasonShutdown) != 1 {
		t.Fatalf("shutdown = %d", dropped(b, ReasonShutdown))
	}
}

func TestOversizedIsRefused(t *testing.T) {
	b, _ := newBacklog(t, &fakePublisher{}, config.Publish{Backlog: 4, Workers: 1, OverflowPolicy: config.OverflowDropNewest})
	m := msg(1)
	m.ServiceID = strings.Repeat("x", transport.MaxStringBytes+1)
	if b.Enqueue(m) || dropped(b, ReasonOversized) != 1 || b.Len() != 0 {
		t.Fatal("oversized relay should be refused and counted")
	}
}

// TestRetryKeepsBatch: while the publisher fails nothing is lost and new relays queue up to the
// bound; when it recovers everything is published exactly once.
func TestRetryKeepsBatch(t *testing.T) {
	pub := &fakePublisher{failing: true}
	b, reg := newBacklog(t, pub, config.Publish{Backlog: 100, Workers: 3, OverflowPolicy: config.OverflowDropNewest})
	stop := startRun(b)
	defer stop()
	for i := range uint64(100) {
		if !b.Enqueue(msg(i)) {
			t.Fatalf("Enqueue(%d) refused below the bound", i)
		}
	}
	if b.Enqueue(msg(100)) {
		t.Fatal("Enqueue above the bound accepted")
	}
	eventually(t, "retries", func() bool { pub.mu.Lock(); defer pub.mu.Unlock(); return pub.calls > 6 })
	pub.setFailing(false)
	eventually(t, "drain", func() bool { return b.Len() == 0 })
	got := pub.ids()
	slices.Sort(got)
	if !slices.Equal(got, seq(0, 100)) {
		t.Fatalf("published %d relays, want 0..99 once each", len(got))
	}
	if v := counterValue(b.m.published); v != 100 {
		t.Fatalf("published_total = %v", v)
	}
	if v := counterValue(b.m.errors); v < 1 {
		t.Fatal("errors_total not counted")
	}
	if n := seriesCount(reg, "relayminer_publish_batch_size"); n != 1 {
		t.Fatal("batch_size histogram missing")
	}
}

func TestFlushPublishesEverything(t *testing.T) {
	pub := &fakePublisher{}
	b, _ := newBacklog(t, pub, config.Publish{Backlog: 1000, Workers: 2, OverflowPolicy: config.OverflowDropNewest})
	for i := range uint64(700) {
		b.Enqueue(msg(i))
	}
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := pub.ids(); !slices.Equal(got, seq(0, 700)) {
		t.Fatalf("flush published %d", len(got))
	}
	if b.Enqueue(msg(1)) || dropped(b, ReasonShutdown) != 1 {
		t.Fatal("Enqueue after Flush must drop with reason shutdown")
	}
}

// TestFlushWithRunningWorkers: Flush while Run is running waits for the batches workers hold,
// including one that a worker hands back when Run stops.
func TestFlushWithRunningWorkers(t *testing.T) {
	pub := &fakePublisher{failing: true}
	b, _ := newBacklog(t, pub, config.Publish{Backlog: 50, Workers: 2, OverflowPolicy: config.OverflowDropNewest})
	stop := startRun(b)
	for i := range uint64(50) {
		b.Enqueue(msg(i))
	}
	eventually(t, "retries", func() bool { pub.mu.Lock(); defer pub.mu.Unlock(); return pub.calls > 2 })
	flushed := make(chan error)
	go func() { flushed <- b.Flush(context.Background()) }()
	stop() // workers hand their batches back
	pub.setFailing(false)
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	got := pub.ids()
	slices.Sort(got)
	if !slices.Equal(got, seq(0, 50)) {
		t.Fatalf("published %v", got)
	}
}

func TestFlushDeadlineDropsRest(t *testing.T) {
	pub := &fakePublisher{failing: true}
	b, _ := newBacklog(t, pub, config.Publish{Backlog: 100, Workers: 2, OverflowPolicy: config.OverflowDropNewest})
	stop := startRun(b)
	for i := range uint64(40) {
		b.Enqueue(msg(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := b.Flush(ctx)
	if err == nil {
		t.Fatal("Flush against a dead Redis: want an error")
	}
	stop() // workers drop what they still hold
	if d := dropped(b, ReasonShutdown); d != 40 || b.Len() != 0 {
		t.Fatalf("shutdown drops = %d, backlog %d; want 40, 0 (%v)", d, b.Len(), err)
	}
}
