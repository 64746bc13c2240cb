package miner

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shannon-ops/pocket-relay-miner/leader"
	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// TestSealAppliesWhatTheStreamHolds seals a session whose relays never reached its tree: some
// still undelivered in the stream, some pending for a dead consumer (a crashed replica, whose
// entries the periodic sweep would take over only after ReclaimMinIdle). Seal applies both
// before it closes the session, so the sealed tree, the one the claim covers, holds them all
// and nothing of the session is left to be refused as late.
func TestSealAppliesWhatTheStreamHolds(t *testing.T) {
	rdb := tcStartRedis(t)
	ctx := context.Background()
	stream := tcTestKeys.RelayStream(tcTestSupplier)
	if err := transport.EnsureGroup(ctx, rdb, stream); err != nil {
		t.Fatal(err)
	}
	dead := tcRelays(tcTestSupplier, tcTestSession, 0, 150)
	tcXadd(t, rdb, dead...)
	got, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: transport.ConsumerGroup, Consumer: "dead",
		Streams: []string{stream, ">"}, Count: int64(len(dead)), Block: -1}).Result()
	if err != nil || len(got[0].Messages) != len(dead) {
		t.Fatalf("the dead consumer read %v: %v", got, err)
	}
	fresh := tcRelays(tcTestSupplier, tcTestSession, 150, 420) // more than two batches of 100
	tcXadd(t, rdb, fresh...)

	cfg := tcTestConsumerConfig(tcTestSupplier, "live", rdb, t)
	cfg.ReclaimMinIdle = time.Hour // only Seal may take the dead consumer's entries
	gate := NewGate()
	cfg.Gate = gate
	c, err := NewConsumer(rdb, tcTestKeys, cfg, NewConsumeMetrics(tcNopRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	h := tcTestHeader(tcTestSupplier, tcTestSession)
	tree, err := c.Seal(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	all := append(dead, fresh...)
	if n := tree.Count(); n != uint64(len(all)) {
		t.Fatalf("the sealed tree holds %d relays, want %d", n, len(all))
	}
	tcAssertRoot(t, rdb, tcTestSupplier, tcTestSession, all)
	if gate.Accept(h) {
		t.Fatal("the session takes relays after Seal")
	}
	if p, err := rdb.XPending(ctx, stream, transport.ConsumerGroup).Result(); err != nil || p.Count != 0 {
		t.Fatalf("pending after Seal: %+v, %v", p, err)
	}
}

// TestSealStopsAtLeaseLoss: a replica that lost the supplier's lease must not close the
// session or claim entries for a tree it cannot commit; Seal returns the lease loss.
func TestSealStopsAtLeaseLoss(t *testing.T) {
	rdb := tcStartRedis(t)
	ctx := context.Background()
	tcXadd(t, rdb, tcRelays(tcTestSupplier, tcTestSession, 0, 10)...)
	cfg := tcTestConsumerConfig(tcTestSupplier, "a", rdb, t)
	gate := NewGate()
	cfg.Gate = gate
	c, err := NewConsumer(rdb, tcTestKeys, cfg, NewConsumeMetrics(tcNopRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	if err := transport.EnsureGroup(ctx, rdb, c.stream); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Del(ctx, tcTestKeys.SupplierLease(tcTestSupplier)).Err(); err != nil {
		t.Fatal(err)
	}
	tcAcquire(t, rdb, tcTestSupplier, "b")
	h := tcTestHeader(tcTestSupplier, tcTestSession)
	if _, err := c.Seal(ctx, h); !errors.Is(err, leader.ErrLeaseLost) {
		t.Fatalf("Seal after the lease moved returned %v, want a lease loss", err)
	}
	if !gate.Accept(h) {
		t.Fatal("a stale owner closed the session")
	}
}
