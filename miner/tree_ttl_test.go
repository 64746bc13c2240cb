package miner

import (
	"context"
	"testing"
	"time"

	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
)

// TestTreeKeysExpireAndAreDeleted: every commit gives both tree keys a TTL (never shortening
// one), the lifecycle's save sets the exact one once the windows are known, and deleting the
// tree of a final session removes both keys.
func TestTreeKeysExpireAndAreDeleted(t *testing.T) {
	rdb := tcStartRedis(t)
	ctx := context.Background()
	h := tcTestHeader(tcTestSupplier, tcTestSession)
	nodes, meta := tcTestKeys.TreeNodes(tcTestSupplier, tcTestSession), tcTestKeys.TreeMeta(tcTestSupplier, tcTestSession)
	bound := TreeTTLBound(h, time.Second, 2) // 10 blocks per session × (1 + 4 + 2)
	if bound != 70*time.Second {
		t.Fatalf("bound %v, want 70s", bound)
	}
	ttXadd(t, rdb, tcRelays(tcTestSupplier, tcTestSession, 0, 5)...)
	cfg := tcTestConsumerConfig(tcTestSupplier, "a", rdb, t)
	cfg.TreeTTL = func(x SessionHeader) time.Duration { return TreeTTLBound(x, time.Second, 2) }
	_, w, _ := tcRunConsumer(t, rdb, cfg)
	tcWaitDrained(t, rdb, tcTestSupplier)
	for _, k := range []string{nodes, meta} {
		if d := rdb.TTL(ctx, k).Val(); d <= 60*time.Second || d > bound {
			t.Fatalf("%s: TTL %v after a commit, want about %v", k, d, bound)
		}
	}
	// A longer expiry (set by the lifecycle) is never shortened by a later commit.
	for _, k := range []string{nodes, meta} {
		rdb.Expire(ctx, k, time.Hour)
	}
	ttXadd(t, rdb, tcRelays(tcTestSupplier, tcTestSession, 5, 8)...)
	tcWaitDrained(t, rdb, tcTestSupplier)
	if err := w.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{nodes, meta} {
		if d := rdb.TTL(ctx, k).Val(); d <= 59*time.Minute {
			t.Fatalf("%s: TTL %v after a second commit, want the lifecycle's hour kept", k, d)
		}
	}

	// The lifecycle's save sets the state TTL on the tree keys once the windows are known.
	st, err := NewStateStore(rdb, tcTestKeys, StateStoreConfig{BlockTime: time.Second, TTLSessions: 2})
	if err != nil {
		t.Fatal(err)
	}
	p := sharedtypes.DefaultParams()
	p.NumBlocksPerSession = 10
	win, err := NewWindows(&p, h.EndHeight, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	rec := Record{Supplier: tcTestSupplier, Windows: win, Session: NewSession(tcTestSession),
		Header: &sessiontypes.SessionHeader{ApplicationAddress: h.Application, ServiceId: h.ServiceID,
			SessionId: h.SessionID, SessionStartBlockHeight: h.StartHeight, SessionEndBlockHeight: h.EndHeight}}
	height := h.EndHeight + 1
	if err := st.Save(ctx, cfg.Fence, height, rec); err != nil {
		t.Fatal(err)
	}
	want := st.ttl(rec, height)
	for _, k := range []string{nodes, meta, tcTestKeys.Session(tcTestSupplier, tcTestSession)} {
		if d := rdb.TTL(ctx, k).Val(); d <= want-2*time.Second || d > want {
			t.Fatalf("%s: TTL %v after the lifecycle's save, want %v", k, d, want)
		}
	}

	// Final: the tree is deleted, both keys are gone; a later save does not bring them back.
	tr, err := OpenTree(ctx, rdb, tcTestKeys, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Delete(ctx, rdb, cfg.Fence); err != nil {
		t.Fatal(err)
	}
	rec.Session.State, rec.Session.TreeDeleted = StateFailed, true
	if err := st.Save(ctx, cfg.Fence, height, rec); err != nil {
		t.Fatal(err)
	}
	if n := rdb.Exists(ctx, nodes, meta).Val(); n != 0 {
		t.Fatalf("%d tree keys left after the deletion", n)
	}
}
