package miner

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestFirstCommitLeavesTheSessionRecord crashes a replica right after its first commit of a
// session, before its lifecycle saved anything: the next owner's StateStore.Load still finds
// the session (active, with the header of its relays), so its tree is claimed. A record the
// lifecycle has written is never overwritten by a later commit.
func TestFirstCommitLeavesTheSessionRecord(t *testing.T) {
	rdb := tcStartRedis(t)
	ctx := context.Background()
	msgs := tcRelays(tcTestSupplier, tcTestSession, 0, 30)
	tcXadd(t, rdb, msgs...)
	cfg := tcTestConsumerConfig(tcTestSupplier, "a", rdb, t)
	cfg.Hooks = &tcCrashHooks{step: "after_commit", batch: 1}
	c, err := NewConsumer(rdb, tcTestKeys, cfg, NewConsumeMetrics(prometheus.NewRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Run(ctx); !errors.Is(err, errTCCrash) {
		t.Fatalf("run ended with %v, want the crash", err)
	}
	tcAssertRoot(t, rdb, tcTestSupplier, tcTestSession, msgs)

	store, err := NewStateStore(rdb, tcTestKeys, StateStoreConfig{BlockTime: time.Second, TTLSessions: 1})
	if err != nil {
		t.Fatal(err)
	}
	recs, _, err := store.Load(ctx, tcTestSupplier)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 {
		t.Fatalf("the next owner finds %d sessions, want the committed one", len(recs))
	}
	h, r := tcTestHeader(tcTestSupplier, tcTestSession), recs[0]
	if r.Session.ID != tcTestSession || r.Session.State != StateActive || r.Header.ApplicationAddress != h.Application ||
		r.Header.ServiceId != h.ServiceID || r.Header.SessionStartBlockHeight != h.StartHeight ||
		r.Header.SessionEndBlockHeight != h.EndHeight {
		t.Fatalf("record %+v %+v does not match the relays' session %+v", r.Session, r.Header, h)
	}
	if ttl := rdb.TTL(ctx, tcTestKeys.Session(tcTestSupplier, tcTestSession)).Val(); ttl <= 0 {
		t.Fatalf("the record has no expiry (%v)", ttl)
	}

	// The next owner's lifecycle moves the session on; a later commit (a new process resuming
	// the tree) must leave that record as it is.
	r.Session.State = StateClaiming
	if err := store.Save(ctx, cfg.Fence, 200, r); err != nil {
		t.Fatal(err)
	}
	more := tcRelays(tcTestSupplier, tcTestSession, 30, 40)
	tcXadd(t, rdb, more...)
	cfg2 := cfg
	cfg2.Hooks = nil
	_, w, _ := tcRunConsumer(t, rdb, cfg2)
	tcWaitDrained(t, rdb, tcTestSupplier)
	if err := w.Stop(); err != nil {
		t.Fatal(err)
	}
	tcAssertRoot(t, rdb, tcTestSupplier, tcTestSession, append(msgs, more...))
	recs, _, err = store.Load(ctx, tcTestSupplier)
	if err != nil || len(recs) != 1 || recs[0].Session.State != StateClaiming {
		t.Fatalf("after another commit: %+v, %v; want the saved claiming record", recs, err)
	}
}
