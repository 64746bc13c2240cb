package publish

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/transport"
	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

func realMsg(i int, supplier string) transport.Message {
	relay := []byte{byte(i), byte(i >> 8), byte(i >> 16), 0xaa, 0xbb}
	return transport.Message{
		Relay: relay, RelayHash: transport.HashRelay(relay), ComputeUnitsPerRelay: uint64(i),
		Supplier: supplier, Application: "pokt1app", ServiceID: "svc", SessionID: "sess",
		SessionStartHeight: 1, SessionEndHeight: 10,
	}
}

// streamIDs returns the relay ids (CUPR) found in stream, each once.
func streamIDs(t *testing.T, rdb redis.UniversalClient, stream string) map[uint64]int {
	t.Helper()
	entries, err := rdb.XRange(context.Background(), stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[uint64]int{}
	for _, e := range entries {
		m, err := transport.DecodeEntry(e)
		if err != nil {
			t.Fatal(err)
		}
		ids[m.ComputeUnitsPerRelay]++
	}
	return ids
}

// TestNothingLostAcrossRedisOutage kills Redis, queues relays while it is down, starts a new
// server on the same port and checks every relay arrives.
func TestNothingLostAcrossRedisOutage(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{
		Addr: srv.Addr, MaxRetries: -1, DialTimeout: 100 * time.Millisecond,
		ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond,
	})
	defer rdb.Close()
	keys := transport.MustKeys("t")
	b, _ := newBacklog(t, transport.NewPublisher(rdb, keys), config.Publish{Backlog: 1000, Workers: 3, OverflowPolicy: config.OverflowDropNewest})
	b.backoffMax = 100 * time.Millisecond
	stop := startRun(b)
	defer stop()

	suppliers := []string{"pokt1aaa", "pokt1bbb"}
	for i := range 100 {
		b.Enqueue(realMsg(i, suppliers[i%2]))
	}
	eventually(t, "first publish", func() bool { return b.Len() == 0 })
	if n := rdb.XLen(context.Background(), keys.RelayStream(suppliers[0])).Val(); n != 50 {
		t.Fatalf("before outage: %d entries, want 50", n)
	}

	srv.Kill()
	const during = 600
	for i := 100; i < 100+during; i++ {
		if !b.Enqueue(realMsg(i, suppliers[i%2])) {
			t.Fatalf("relay %d refused during the outage", i)
		}
	}
	eventually(t, "failed attempts", func() bool { return counterValue(b.m.errors) >= 3 })
	if b.Len() != during {
		t.Fatalf("backlog %d during outage, want %d", b.Len(), during)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "drain after restart", func() bool { return b.Len() == 0 })

	for _, s := range suppliers {
		ids := streamIDs(t, rdb, keys.RelayStream(s))
		if len(ids) != during/2 {
			t.Fatalf("%s: %d distinct relays after restart, want %d", s, len(ids), during/2)
		}
	}
	for _, r := range reasons {
		if d := dropped(b, r); d != 0 {
			t.Fatalf("dropped %d with reason %s", d, r)
		}
	}
}

func TestFlushToRealRedis(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	defer rdb.Close()
	keys := transport.MustKeys("t")
	b, _ := newBacklog(t, transport.NewPublisher(rdb, keys), config.Publish{Backlog: 5000, Workers: 2, OverflowPolicy: config.OverflowDropNewest})
	for i := range 3000 {
		b.Enqueue(realMsg(i, "pokt1aaa"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if ids := streamIDs(t, rdb, keys.RelayStream("pokt1aaa")); len(ids) != 3000 {
		t.Fatalf("flushed %d, want 3000", len(ids))
	}
}
