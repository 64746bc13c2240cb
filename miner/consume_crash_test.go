package miner

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shannon-ops/pocket-relay-miner/leader"
	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

// TestConsumeCrashAnywhere stops a consumer between every two steps of its third batch, then
// resumes on another instance (new consumer name, new lease holding) that reclaims the dead
// consumer's pending entries with XAUTOCLAIM: the final root equals applying every relay
// exactly once. A restart under the same consumer name replays its own pending entries instead.
func TestConsumeCrashAnywhere(t *testing.T) {
	cases := []struct {
		name     string
		step     string // crashHooks step; "" for none
		failExec int32  // MULTI/EXEC transactions to fail before the crash
		resumeAs string // consumer name of the second instance
	}{
		{name: "after_read", step: "after_read", resumeAs: "b"},
		{name: "after_apply", step: "after_apply", resumeAs: "b"},
		{name: "commit_fails_then_crash", step: "after_read", failExec: 1, resumeAs: "b"},
		{name: "after_commit", step: "after_commit", resumeAs: "b"},
		{name: "after_read_same_consumer", step: "after_read", resumeAs: "a"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := redistest.Start(t)
			admin := srv.Client()
			defer admin.Close()
			hook := &tcFailExec{}
			hook.n.Store(tc.failExec)
			rdbA := srv.Client()
			defer rdbA.Close()
			rdbA.AddHook(hook)

			msgs := tcRelays(tcTestSupplier, tcTestSession, 0, 1000)
			tcXadd(t, admin, msgs...)
			batch := int32(3)
			if tc.failExec > 0 {
				batch = 4 // the failed commit's replay is read again before the crash
			}
			cfgA := tcTestConsumerConfig(tcTestSupplier, "a", admin, t)
			cfgA.Hooks = &tcCrashHooks{step: tc.step, batch: batch}
			_, wA, _ := tcRunConsumer(t, rdbA, cfgA)
			<-wA.Done()
			if err := wA.Stop(); !errors.Is(err, errTCCrash) {
				t.Fatalf("first instance ended with %v, want the injected crash", err)
			}
			if hook.n.Load() != 0 {
				t.Fatal("the injected EXEC failure did not happen")
			}
			// The dead instance's lease goes away; the next holder resumes.
			admin.Del(context.Background(), cfgA.Fence.Key)
			cfgB := tcTestConsumerConfig(tcTestSupplier, tc.resumeAs, admin, t)
			if tc.resumeAs == "a" {
				cfgB.ReclaimMinIdle = time.Hour // only the pending replay may recover them
			}
			_, _, mB := tcRunConsumer(t, admin, cfgB)
			tcWaitDrained(t, admin, tcTestSupplier)
			tcAssertRoot(t, admin, tcTestSupplier, tcTestSession, msgs)
			tcAssertTreeComplete(t, admin, tcTestSupplier, tcTestSession, msgs)
			if n, _ := admin.HGet(context.Background(), tcTestKeys.TreeMeta(tcTestSupplier, tcTestSession), metaCount).Result(); n != "1000" {
				t.Fatalf("count %s, want 1000", n)
			}
			if d := tcCounter(mB.duplicate.WithLabelValues(tcTestSupplier)); d != 0 {
				t.Fatalf("resume saw %v duplicates; a crash must not commit a partial batch", d)
			}
		})
	}
}

// TestConsumeCommitFailureRecovers fails some commits of a running consumer (EXEC never reaches
// Redis) while it applies the next batch on top of the failing one; it drops that batch too,
// replays its pending entries and ends with every relay applied once and every node in Redis.
func TestConsumeCommitFailureRecovers(t *testing.T) {
	srv := redistest.Start(t)
	admin := srv.Client()
	defer admin.Close()
	hook := &tcFailExec{}
	hook.n.Store(3)
	rdb := srv.Client()
	defer rdb.Close()
	rdb.AddHook(hook)
	msgs := tcRelays(tcTestSupplier, tcTestSession, 0, 600)
	tcXadd(t, admin, msgs...)
	_, _, m := tcRunConsumer(t, rdb, tcTestConsumerConfig(tcTestSupplier, "a", admin, t))
	tcWaitDrained(t, admin, tcTestSupplier)
	tcAssertRoot(t, admin, tcTestSupplier, tcTestSession, msgs)
	tcAssertTreeComplete(t, admin, tcTestSupplier, tcTestSession, msgs)
	tcEventually(t, 5*time.Second, "applied counter", func() bool {
		return tcCounter(m.applied.WithLabelValues(tcTestSupplier)) == 600
	})
}

// TestConsumeEveryOtherCommitFails fails every third transaction: each failure hits a batch whose
// predecessor landed and that the next batch was applied on top of. That next batch must be
// dropped, not committed over nodes Redis never received.
func TestConsumeEveryOtherCommitFails(t *testing.T) {
	srv := redistest.Start(t)
	admin := srv.Client()
	defer admin.Close()
	hook := &tcFailExec{}
	hook.every.Store(3)
	rdb := srv.Client()
	defer rdb.Close()
	rdb.AddHook(hook)
	msgs := tcRelays(tcTestSupplier, tcTestSession, 0, 1500)
	tcXadd(t, admin, msgs...)
	cfg := tcTestConsumerConfig(tcTestSupplier, "a", admin, t)
	cfg.BatchSize = 50
	_, _, m := tcRunConsumer(t, rdb, cfg)
	tcWaitDrained(t, admin, tcTestSupplier)
	tcAssertRoot(t, admin, tcTestSupplier, tcTestSession, msgs)
	tcAssertTreeComplete(t, admin, tcTestSupplier, tcTestSession, msgs)
	if hook.execs.Load() < 3 {
		t.Fatal("no transaction failed")
	}
	tcEventually(t, 5*time.Second, "applied counter", func() bool {
		return tcCounter(m.applied.WithLabelValues(tcTestSupplier)) == 1500
	})
}

// TestConsumeCluster runs the consumer and its fenced commit transaction on Redis Cluster, for
// two suppliers whose keys live in different slots.
func TestConsumeCluster(t *testing.T) {
	cl := redistest.StartCluster(t)
	rdb := cl.Client()
	defer rdb.Close()
	const other = "pokt1othersupplierbbbbbbbbbbbbbbbbbbbbbbbbbb"
	a := tcRelays(tcTestSupplier, tcTestSession, 0, 400)
	b := tcRelays(other, tcTestSession, 0, 300)
	tcXadd(t, rdb, a...)
	tcXadd(t, rdb, b...)
	tcRunConsumer(t, rdb, tcTestConsumerConfig(tcTestSupplier, "a", rdb, t))
	tcRunConsumer(t, rdb, tcTestConsumerConfig(other, "a", rdb, t))
	tcWaitDrained(t, rdb, tcTestSupplier)
	tcWaitDrained(t, rdb, other)
	tcAssertRoot(t, rdb, tcTestSupplier, tcTestSession, a)
	tcAssertRoot(t, rdb, other, tcTestSession, b)

	// A stale holder's commit is refused on Cluster too.
	ctx := context.Background()
	tr, err := OpenTree(ctx, rdb, tcTestKeys, tcTestHeader(tcTestSupplier, tcTestSession))
	if err != nil {
		t.Fatal(err)
	}
	m := tcTestRelay(tcTestSupplier, tcTestSession, 5000)
	if _, err := tr.Insert(&m); err != nil {
		t.Fatal(err)
	}
	ch, err := tr.take()
	if err != nil {
		t.Fatal(err)
	}
	stale := leader.Fence{Key: tcTestKeys.SupplierLease(tcTestSupplier), Value: "ghost#1", Token: 1}
	err = commitBatch(ctx, rdb, stale, tcTestKeys.RelayStream(tcTestSupplier), nil, []*treeChanges{ch})
	if !errors.Is(err, leader.ErrLeaseLost) {
		t.Fatalf("stale commit on cluster: %v, want ErrLeaseLost", err)
	}
	tcAssertRoot(t, rdb, tcTestSupplier, tcTestSession, a)
}

var _ redis.Hook = (*tcFailExec)(nil)
