package miner

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/leader"
	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// ttXadd appends msgs one by one and returns their stream ids in order.
func ttXadd(t *testing.T, rdb redis.UniversalClient, msgs ...transport.Message) []string {
	t.Helper()
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		b, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		ids[i], err = rdb.XAdd(context.Background(), &redis.XAddArgs{
			Stream: tcTestKeys.RelayStream(m.Supplier), Values: []any{transport.MessageField, b}}).Result()
		if err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// ttStreamIDs returns every id left in the supplier's stream.
func ttStreamIDs(t *testing.T, rdb redis.UniversalClient) []string {
	t.Helper()
	msgs, err := rdb.XRange(context.Background(), tcTestKeys.RelayStream(tcTestSupplier), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	return ids
}

func ttNoTTL(t *testing.T, rdb redis.UniversalClient, when string) {
	t.Helper()
	if d, err := rdb.PTTL(context.Background(), tcTestKeys.RelayStream(tcTestSupplier)).Result(); err != nil || d >= 0 || d == -2 || d == -2*time.Millisecond {
		t.Fatalf("%s: stream PTTL %v (%v), want none", when, d, err)
	}
}

func ttTrimmer(rdb redis.UniversalClient, f leader.Fence, sessions func() []trimSession) (*streamTrimmer, prometheus.Counter) {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "trimmed"})
	return newStreamTrimmer(rdb, tcTestKeys, tcTestSupplier, f, sessions, c, zerolog.Nop()), c
}

func ttEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestTrimKeepsLiveSessionsPendingAndUnread interleaves sessions A and B in the stream. While
// both are live nothing is trimmed; once A is final (tree deleted) the trim removes exactly A's
// entries before B's first entry, and never an unread entry; the stream never gets a TTL.
func TestTrimKeepsLiveSessionsPendingAndUnread(t *testing.T) {
	rdb := tcStartRedis(t)
	ctx := context.Background()
	a := tcRelays(tcTestSupplier, tcTestSession, 0, 6)
	b := tcRelays(tcTestSupplier, tcTestSession2, 0, 4)
	ids := ttXadd(t, rdb, a[0], a[1], a[2], b[0], a[3], b[1], a[4], b[2], a[5], b[3])
	ttNoTTL(t, rdb, "before consumption")

	cfg := tcTestConsumerConfig(tcTestSupplier, "a", rdb, t)
	_, w, _ := tcRunConsumer(t, rdb, cfg)
	tcWaitDrained(t, rdb, tcTestSupplier)
	if err := w.Stop(); err != nil {
		t.Fatal(err)
	}
	if got, err := rdb.HGet(ctx, tcTestKeys.TreeMeta(tcTestSupplier, tcTestSession2), metaFirst).Result(); err != nil || got != ids[3] {
		t.Fatalf("first stream id of B: %q (%v), want %s", got, err, ids[3])
	}
	unread := ttXadd(t, rdb, tcRelays(tcTestSupplier, tcTestSession2, 4, 6)...) // never read

	aDone := false
	sessions := func() []trimSession {
		return []trimSession{{ID: tcTestSession, Sealed: true, Done: aDone, TreeDeleted: aDone}, {ID: tcTestSession2}}
	}
	tr, trimmed := ttTrimmer(rdb, cfg.Fence, sessions)
	if n, err := tr.onBlock(ctx, 1); err != nil || n != 0 {
		t.Fatalf("trim with A live: removed %d (%v), want 0", n, err)
	}

	// A is final: its tree is deleted, the trim removes A's entries before B's first one.
	tree, err := OpenTree(ctx, rdb, tcTestKeys, tcTestHeader(tcTestSupplier, tcTestSession))
	if err != nil {
		t.Fatal(err)
	}
	if err := tree.Delete(ctx, rdb, cfg.Fence); err != nil {
		t.Fatal(err)
	}
	aDone = true
	if n, err := tr.onBlock(ctx, 1); err != nil || n != 0 {
		t.Fatalf("second trim at the same height: removed %d (%v), want nothing (once per block)", n, err)
	}
	if n, err := tr.onBlock(ctx, 2); err != nil || n != 3 {
		t.Fatalf("trim with A final: removed %d (%v), want 3", n, err)
	}
	if want := append(append([]string(nil), ids[3:]...), unread...); !ttEqual(ttStreamIDs(t, rdb), want) {
		t.Fatalf("stream after trim %v, want %v", ttStreamIDs(t, rdb), want)
	}
	if got := tcCounter(trimmed); got != 3 {
		t.Fatalf("trimmed counter %v, want 3", got)
	}

	// B final too: everything read goes, the unread entries stay.
	sessions2 := func() []trimSession {
		return []trimSession{{ID: tcTestSession2, Sealed: true, Done: true, TreeDeleted: true}}
	}
	tr.sessions = sessions2
	if n, err := tr.onBlock(ctx, 3); err != nil || n != 7 {
		t.Fatalf("trim with every session final: removed %d (%v), want 7", n, err)
	}
	if got := ttStreamIDs(t, rdb); !ttEqual(got, unread) {
		t.Fatalf("stream after trim %v, want only the unread %v", got, unread)
	}
	ttNoTTL(t, rdb, "after trims")
}

// TestTrimBlockedByPendingEntry: an entry read by a dead consumer and never acknowledged, older
// than everything else, keeps every entry from it on, though every session is final.
func TestTrimBlockedByPendingEntry(t *testing.T) {
	rdb := tcStartRedis(t)
	ctx := context.Background()
	stream := tcTestKeys.RelayStream(tcTestSupplier)
	ghost := ttXadd(t, rdb, tcTestRelay(tcTestSupplier, tcTestSession2, 0))
	if err := transport.EnsureGroup(ctx, rdb, stream); err != nil {
		t.Fatal(err)
	}
	if _, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: transport.ConsumerGroup, Consumer: "dead",
		Streams: []string{stream, ">"}, Count: 1}).Result(); err != nil {
		t.Fatal(err)
	}
	ids := ttXadd(t, rdb, tcRelays(tcTestSupplier, tcTestSession, 0, 5)...)

	cfg := tcTestConsumerConfig(tcTestSupplier, "a", rdb, t)
	cfg.ReclaimMinIdle = time.Hour // the dead consumer's entry stays pending
	_, w, _ := tcRunConsumer(t, rdb, cfg)
	tcEventually(t, 10*time.Second, "A applied", func() bool {
		p, err := rdb.XPending(ctx, stream, transport.ConsumerGroup).Result()
		g, gerr := rdb.XInfoGroups(ctx, stream).Result()
		return err == nil && gerr == nil && p.Count == 1 && g[0].LastDeliveredID == ids[len(ids)-1]
	})
	if err := w.Stop(); err != nil {
		t.Fatal(err)
	}
	tr, _ := ttTrimmer(rdb, cfg.Fence, func() []trimSession {
		return []trimSession{{ID: tcTestSession, Sealed: true, Done: true, TreeDeleted: true}}
	})
	if n, err := tr.onBlock(ctx, 1); err != nil || n != 0 {
		t.Fatalf("trim below a pending entry: removed %d (%v), want 0", n, err)
	}
	if got := ttStreamIDs(t, rdb); len(got) != 6 || got[0] != ghost[0] {
		t.Fatalf("stream %v, want the pending entry and the 5 after it", got)
	}
	ttNoTTL(t, rdb, "after trim")
}

// TestTrimStaleOwnerTrimsNothing: a replica that lost the supplier's lease cannot trim.
func TestTrimStaleOwnerTrimsNothing(t *testing.T) {
	rdb := tcStartRedis(t)
	ctx := context.Background()
	ttXadd(t, rdb, tcRelays(tcTestSupplier, tcTestSession, 0, 3)...)
	cfg := tcTestConsumerConfig(tcTestSupplier, "a", rdb, t)
	_, w, _ := tcRunConsumer(t, rdb, cfg)
	tcWaitDrained(t, rdb, tcTestSupplier)
	if err := w.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Del(ctx, tcTestKeys.SupplierLease(tcTestSupplier)).Err(); err != nil {
		t.Fatal(err)
	}
	tcAcquire(t, rdb, tcTestSupplier, "b")
	tr, _ := ttTrimmer(rdb, cfg.Fence, func() []trimSession { return nil })
	if _, err := tr.onBlock(ctx, 1); err == nil {
		t.Fatal("stale owner trimmed")
	}
	if got := ttStreamIDs(t, rdb); len(got) != 3 {
		t.Fatalf("stream has %d entries, want 3", len(got))
	}
}

func TestStreamIDOrder(t *testing.T) {
	a, _ := parseStreamID("5-18446744073709551615")
	if got := a.next().String(); got != "6-0" {
		t.Fatalf("next %s", got)
	}
	b, _ := parseStreamID("10-0")
	c, _ := parseStreamID("9-99")
	if !c.less(b) || b.less(c) {
		t.Fatal("order")
	}
	tr := &Tree{}
	for _, id := range []string{"10-0", "9-99", "11-1"} {
		tr.noteEntry(id)
	}
	if tr.FirstEntry() != "9-99" {
		t.Fatalf("first %s", tr.FirstEntry())
	}
}
