package blocks

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/shannon-ops/pocket-relay-miner/query"
	"github.com/shannon-ops/pocket-relay-miner/query/querytest"
	"github.com/shannon-ops/pocket-relay-miner/transport"
	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

var testKeys = transport.MustKeys("t")

func fetcher(t *testing.T, node *querytest.Comet) *query.Client {
	t.Helper()
	c, err := query.New(query.Config{CometRPCURL: node.URL, Timeout: 2 * time.Second, BackoffBase: 5 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// runFeed starts f until the test ends (or stop is called) and returns stop.
func runFeed(t *testing.T, f *Feed) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("feed run: %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

func newFeed(t *testing.T, node *querytest.Comet, mode Mode, rdb redis.UniversalClient, reg prometheus.Registerer) *Feed {
	t.Helper()
	f, err := New(Config{Mode: mode, WebsocketURL: WebsocketURL(node.URL), BlockTime: 100 * time.Millisecond,
		ReconnectMin: 20 * time.Millisecond, ReconnectMax: 100 * time.Millisecond}, fetcher(t, node), rdb, testKeys, reg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// pause waits d (tests only pace the fake chain this way).
func pause(d time.Duration) { <-time.After(d) }

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		pause(5 * time.Millisecond)
	}
}

// collect reads sub until it delivered height to, checking order, uniqueness and hashes.
func collect(t *testing.T, sub *Subscription, from, to int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	want := from
	for want <= to {
		b, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for height %d: %v", want, err)
		}
		if b.Height != want {
			t.Fatalf("got height %d, want %d (every height once, in order)", b.Height, want)
		}
		if !bytes.Equal(b.Hash, querytest.BlockOf(b.Height).Hash) {
			t.Fatalf("height %d: wrong hash", b.Height)
		}
		want++
	}
}

func counterValue(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, _ := reg.Gather()
	total := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			ok := label == ""
			for _, lp := range m.GetLabel() {
				if lp.GetValue() == label {
					ok = true
				}
			}
			if ok {
				total += m.GetCounter().GetValue()
			}
		}
	}
	return total
}

func TestGapsAreFilledInOrder(t *testing.T) {
	node := querytest.StartComet(t)
	node.Produce(3)
	reg := prometheus.NewRegistry()
	f := newFeed(t, node, Own, nil, reg)
	sub := f.Subscribe(SubscribeOptions{Every: true})
	runFeed(t, f)
	waitFor(t, "the websocket subscription", func() bool { return node.WebsocketSessions() == 1 })
	waitFor(t, "the first block", func() bool { _, ok := f.Latest(); return ok })
	node.SkipOnWebsocket(5, 6, 9, 12, 13, 14)
	for range 15 {
		node.Produce(1)
		pause(5 * time.Millisecond)
	}
	collect(t, sub, 3, 18)
	if g := counterValue(t, reg, "relayminer_block_gaps_filled_total", ""); g < 6 {
		t.Fatalf("gaps filled = %v, want ≥ 6", g)
	}
}

func TestWebsocketDropFallsBackToPollingThenReconnects(t *testing.T) {
	node := querytest.StartComet(t)
	node.Produce(1)
	reg := prometheus.NewRegistry()
	f := newFeed(t, node, Own, nil, reg)
	sub := f.Subscribe(SubscribeOptions{Every: true})
	runFeed(t, f)
	waitFor(t, "the websocket subscription", func() bool { return node.WebsocketSessions() == 1 })
	node.Produce(2)
	collect(t, sub, 1, 3)

	node.RefuseWebsockets(true)
	node.DropWebsockets()
	for range 10 { // blocks keep coming while the websocket is down
		node.Produce(1)
		pause(30 * time.Millisecond)
	}
	collect(t, sub, 4, 13)
	if p := counterValue(t, reg, "relayminer_block_source_reconnects_total", "poll"); p < 1 {
		t.Fatal("the feed never switched to polling")
	}
	node.RefuseWebsockets(false)
	waitFor(t, "the websocket to reconnect", func() bool { return node.WebsocketSessions() == 2 })
	waitFor(t, "the reconnect to be counted", func() bool {
		return counterValue(t, reg, "relayminer_block_source_reconnects_total", "websocket") >= 1
	})
	node.Produce(5)
	collect(t, sub, 14, 18)
}

func TestSlowConsumerIsCoalescedFastOneSeesEveryHeight(t *testing.T) {
	node := querytest.StartComet(t)
	node.Produce(1)
	f := newFeed(t, node, Own, nil, nil)
	fast := f.Subscribe(SubscribeOptions{Every: true})
	slow := f.Subscribe(SubscribeOptions{})
	runFeed(t, f)
	waitFor(t, "the websocket subscription", func() bool { return node.WebsocketSessions() == 1 })
	node.Produce(29)
	collect(t, fast, 1, 30) // the slow consumer reads nothing meanwhile and holds nobody up
	b, err := slow.Next(context.Background())
	if err != nil || b.Height != 30 {
		t.Fatalf("slow consumer got %d, %v; want the latest block 30", b.Height, err)
	}
	if slow.Dropped() == 0 {
		t.Fatal("slow consumer's skipped heights were not counted")
	}
}

func TestEveryQueueOverflowKeepsNewest(t *testing.T) {
	f := &Feed{m: newMetrics(nil), subs: map[*Subscription]struct{}{}}
	s := f.Subscribe(SubscribeOptions{Every: true, Queue: 4})
	for h := int64(1); h <= 10; h++ {
		f.deliver(Block{Height: h})
	}
	ctx := context.Background()
	for want := int64(7); want <= 10; want++ {
		if b, _ := s.Next(ctx); b.Height != want {
			t.Fatalf("got %d, want %d", b.Height, want)
		}
	}
	if s.Dropped() != 6 {
		t.Fatalf("dropped = %d, want 6", s.Dropped())
	}
	s.Close()
	if _, err := s.Next(ctx); err != ErrClosed {
		t.Fatalf("after close: %v", err)
	}
}

// TestRelayerFollowsRedisAndFallsBackToTheNode: a miner's feed publishes on Redis, a relayer's
// feed follows it; when the miner dies the relayer follows the node itself, with no gap.
func TestRelayerFollowsRedisAndFallsBackToTheNode(t *testing.T) {
	node := querytest.StartComet(t)
	node.Produce(1)
	srv := redistest.Start(t)
	minerRDB, relayerRDB := srv.Client(), srv.Client()
	defer minerRDB.Close()
	defer relayerRDB.Close()
	reg := prometheus.NewRegistry()
	miner := newFeed(t, node, Own, minerRDB, nil)
	relayer := newFeed(t, node, Follow, relayerRDB, reg)
	sub := relayer.Subscribe(SubscribeOptions{Every: true})
	stopMiner := runFeed(t, miner)
	runFeed(t, relayer)
	waitFor(t, "the miner's websocket", func() bool { return node.WebsocketSessions() == 1 })
	waitFor(t, "the relayer's first block", func() bool { _, ok := relayer.Latest(); return ok })
	for range 5 {
		node.Produce(1)
		pause(20 * time.Millisecond)
	}
	collect(t, sub, 1, 6)
	if r := counterValue(t, reg, "relayminer_block_announcements_total", "redis"); r < 1 {
		t.Fatal("the relayer did not read Redis")
	}
	if node.WebsocketSessions() != 1 {
		t.Fatal("the relayer opened its own websocket while Redis was speaking")
	}
	stopMiner()
	for range 15 {
		node.Produce(1)
		pause(30 * time.Millisecond)
	}
	collect(t, sub, 7, 21)
	waitFor(t, "the relayer's own websocket", func() bool { return node.WebsocketSessions() == 2 })
}

func TestEncodeDecode(t *testing.T) {
	b := querytest.BlockOf(42)
	got, err := decode(encode(b))
	if err != nil || got.Height != 42 || !bytes.Equal(got.Hash, b.Hash) || !got.Time.Equal(b.Time) {
		t.Fatalf("%+v, %v", got, err)
	}
	for _, bad := range []string{"", "1 zz 3", "x ab 3", "1 ab", "-1 ab 3"} {
		if _, err := decode(bad); err == nil {
			t.Errorf("decode(%q) accepted", bad)
		}
	}
}

func TestWebsocketURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:26657": "ws://127.0.0.1:26657/websocket",
		"https://rpc.example/":   "wss://rpc.example/websocket",
	} {
		if got := WebsocketURL(in); got != want {
			t.Errorf("WebsocketURL(%q) = %q, want %q", in, got, want)
		}
	}
}
