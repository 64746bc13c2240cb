package miner

import (
	"context"
	"errors"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/shannon-ops/pocket-relay-miner/leader"
	"github.com/shannon-ops/pocket-relay-miner/transport"
)

const tcTestSession2 = "5e551011d0000000000000000000000000000000000000000000000000000002"

// TestConsumeAppliesStream consumes tcRelays of two sessions, duplicates, malformed entries and
// a relay of another supplier; each session's committed root equals the reference, malformed and
// foreign entries are acknowledged and counted, duplicates change nothing.
func TestConsumeAppliesStream(t *testing.T) {
	rdb := tcStartRedis(t)
	ctx := context.Background()
	s1 := tcRelays(tcTestSupplier, tcTestSession, 0, 450)
	s2 := tcRelays(tcTestSupplier, tcTestSession2, 0, 250)
	tcXadd(t, rdb, s1...)
	tcXadd(t, rdb, s2...)
	tcXadd(t, rdb, s1[:120]...) // duplicates
	stream := tcTestKeys.RelayStream(tcTestSupplier)
	for _, v := range []any{
		[]any{"x", "no message field"},
		[]any{transport.MessageField, "\x01truncated"},
		[]any{transport.MessageField, "\x09wrong version"},
	} {
		rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: v})
	}
	foreign := tcTestRelay("pokt1othersupplierbbbbbbbbbbbbbbbbbbbbbbbbbb", tcTestSession, 1)
	b, _ := foreign.Encode()
	rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{transport.MessageField, b}})

	cfg := tcTestConsumerConfig(tcTestSupplier, "a", rdb, t)
	_, w, m := tcRunConsumer(t, rdb, cfg)
	tcWaitDrained(t, rdb, tcTestSupplier)
	// Counters move after the EXEC that acknowledged their entries returns: wait for all of them.
	tcEventually(t, 5e9, "metrics", func() bool {
		return tcCounter(m.applied.WithLabelValues(tcTestSupplier)) == 700 &&
			tcCounter(m.duplicate.WithLabelValues(tcTestSupplier)) >= 120 &&
			tcCounter(m.rejected.WithLabelValues(tcTestSupplier, string(reasonMalformed))) >= 3 &&
			tcCounter(m.rejected.WithLabelValues(tcTestSupplier, string(reasonWrongSupplier))) >= 1
	})
	if got := tcCounter(m.duplicate.WithLabelValues(tcTestSupplier)); got != 120 {
		t.Errorf("duplicates %v, want 120", got)
	}
	if got := tcCounter(m.rejected.WithLabelValues(tcTestSupplier, string(reasonMalformed))); got != 3 {
		t.Errorf("malformed %v, want 3", got)
	}
	if got := tcCounter(m.rejected.WithLabelValues(tcTestSupplier, string(reasonWrongSupplier))); got != 1 {
		t.Errorf("wrong supplier %v, want 1", got)
	}
	tcEventually(t, 5e9, "lag gauge", func() bool { return tcCounter(m.lag.WithLabelValues(tcTestSupplier)) == 0 })
	if err := w.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	tcAssertRoot(t, rdb, tcTestSupplier, tcTestSession, s1)
	tcAssertRoot(t, rdb, tcTestSupplier, tcTestSession2, s2)
}

// TestConsumeSuppliersInOneSessionDoNotShareKeys mines the same session for two suppliers: the
// trees live under each supplier's own hash tag and their roots differ.
func TestConsumeSuppliersInOneSessionDoNotShareKeys(t *testing.T) {
	rdb := tcStartRedis(t)
	const other = "pokt1othersupplierbbbbbbbbbbbbbbbbbbbbbbbbbb"
	a := tcRelays(tcTestSupplier, tcTestSession, 0, 200)
	b := tcRelays(other, tcTestSession, 0, 150)
	tcXadd(t, rdb, a...)
	tcXadd(t, rdb, b...)
	tcRunConsumer(t, rdb, tcTestConsumerConfig(tcTestSupplier, "r1", rdb, t))
	tcRunConsumer(t, rdb, tcTestConsumerConfig(other, "r1", rdb, t))
	tcWaitDrained(t, rdb, tcTestSupplier)
	tcWaitDrained(t, rdb, other)
	tcAssertRoot(t, rdb, tcTestSupplier, tcTestSession, a)
	tcAssertRoot(t, rdb, other, tcTestSession, b)
	if string(tcCommittedRoot(t, rdb, tcTestSupplier, tcTestSession)) == string(tcCommittedRoot(t, rdb, other, tcTestSession)) {
		t.Fatal("two suppliers share a root")
	}
	if tcTestKeys.TreeNodes(tcTestSupplier, tcTestSession) == tcTestKeys.TreeNodes(other, tcTestSession) {
		t.Fatal("two suppliers share a node key")
	}
}

type tcRejectSession string

func (r tcRejectSession) Accept(h SessionHeader) bool { return h.SessionID != string(r) }
func (tcRejectSession) Close(SessionHeader)           {}

// TestConsumeRejectingGate acknowledges tcRelays of a sealed session without inserting them.
func TestConsumeRejectingGate(t *testing.T) {
	rdb := tcStartRedis(t)
	open := tcRelays(tcTestSupplier, tcTestSession, 0, 50)
	late := tcRelays(tcTestSupplier, tcTestSession2, 0, 30)
	tcXadd(t, rdb, open...)
	tcXadd(t, rdb, late...)
	cfg := tcTestConsumerConfig(tcTestSupplier, "a", rdb, t)
	cfg.Gate = tcRejectSession(tcTestSession2)
	_, _, m := tcRunConsumer(t, rdb, cfg)
	tcWaitDrained(t, rdb, tcTestSupplier)
	tcEventually(t, 5e9, "late tcCounter", func() bool {
		return tcCounter(m.rejected.WithLabelValues(tcTestSupplier, string(reasonLate))) == 30
	})
	tcAssertRoot(t, rdb, tcTestSupplier, tcTestSession, open)
	if n := rdb.Exists(context.Background(), tcTestKeys.TreeMeta(tcTestSupplier, tcTestSession2)).Val(); n != 0 {
		t.Fatal("a sealed session got a tree")
	}
}

// TestConsumeStaleOwnerCommitRejected: a consumer whose lease moved on cannot commit; its
// entries stay pending and the new owner applies them exactly once.
func TestConsumeStaleOwnerCommitRejected(t *testing.T) {
	rdb := tcStartRedis(t)
	ctx := context.Background()
	msgs := tcRelays(tcTestSupplier, tcTestSession, 0, 80)
	tcXadd(t, rdb, msgs...)
	cfg := tcTestConsumerConfig(tcTestSupplier, "old", rdb, t)
	old, err := NewConsumer(rdb, tcTestKeys, cfg, NewConsumeMetrics(tcNopRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	if err := transport.EnsureGroup(ctx, rdb, old.stream); err != nil {
		t.Fatal(err)
	}
	entries, err := old.read(ctx, ">")
	if err != nil || len(entries) != 80 {
		t.Fatalf("read %d entries: %v", len(entries), err)
	}
	// The lease expires and another replica takes it.
	rdb.Del(ctx, cfg.Fence.Key)
	newCfg := tcTestConsumerConfig(tcTestSupplier, "new", rdb, t)

	err = old.apply(ctx, entries) // starts the commit
	if err == nil {
		err = old.apply(ctx, nil) // lands it
	}
	if !errors.Is(err, leader.ErrLeaseLost) {
		t.Fatalf("stale commit: %v, want ErrLeaseLost", err)
	}
	pending, err := rdb.XPending(ctx, old.stream, transport.ConsumerGroup).Result()
	if err != nil || pending.Count != 80 || pending.Consumers["old"] != 80 {
		t.Fatalf("pending after the stale commit: %+v, %v", pending, err)
	}
	if rdb.Exists(ctx, tcTestKeys.TreeMeta(tcTestSupplier, tcTestSession)).Val() != 0 {
		t.Fatal("the stale owner wrote a tree")
	}
	tcRunConsumer(t, rdb, newCfg)
	tcWaitDrained(t, rdb, tcTestSupplier)
	tcAssertRoot(t, rdb, tcTestSupplier, tcTestSession, msgs)
}
