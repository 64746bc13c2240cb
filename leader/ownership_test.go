package leader

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shannon-ops/pocket-relay-miner/transport"
	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

func supplierIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("pokt1sup%02d", i)
	}
	return out
}

// replicaRun starts one Ownership replica on client c.
func replicaRun(t *testing.T, c redis.UniversalClient, f *fleet, name string, suppliers []string, ttl, renew time.Duration) (*Ownership, *runner) {
	t.Helper()
	o, err := NewOwnership(c, transport.MustKeys("t"), name, ttl, renew, f.replica(name), nopLog(), nil)
	if err != nil {
		t.Fatal(err)
	}
	o.SetSuppliers(suppliers)
	return o, start(t, o.Run)
}

func TestOwnershipRebalances(t *testing.T) {
	srv := redistest.Start(t)
	const n, ttl, renew = 12, 500 * time.Millisecond, 100 * time.Millisecond
	sup := supplierIDs(n)
	f := newFleet(t)
	a, _ := replicaRun(t, newClient(t, srv.URL()), f, "a", sup, ttl, renew)
	waitFor(t, 5*time.Second, "a to own all", func() bool { return f.owned("a") == n })

	// A second replica joins: the load splits evenly, never with a supplier on both.
	_, bRun := replicaRun(t, newClient(t, srv.URL()), f, "b", sup, ttl, renew)
	took := waitFor(t, 5*time.Second, "an even split", func() bool { return f.owned("a") == n/2 && f.owned("b") == n/2 })
	t.Logf("rebalanced to %d/%d in %s", n/2, n/2, took)
	if got := len(a.Owned()); got != n/2 {
		t.Fatalf("a.Owned() = %d", got)
	}

	// It leaves gracefully: a re-owns everything.
	if err := bRun.stop(t); err != nil {
		t.Fatal(err)
	}
	took = waitFor(t, 5*time.Second, "a to re-own all", func() bool { return f.owned("a") == n })
	t.Logf("after a graceful leave, a re-owned all in %s", took)

	// A third replica joins and then crashes (its connection dies, nothing is released).
	cc := newClient(t, srv.URL())
	replicaRun(t, cc, f, "c", sup, ttl, renew)
	waitFor(t, 5*time.Second, "an even split with c", func() bool { return f.owned("a") == n/2 && f.owned("c") == n/2 })
	_ = cc.Close()
	took = waitFor(t, 5*time.Second, "a to re-own all after c crashed", func() bool { return f.owned("a") == n })
	t.Logf("after a crash, a re-owned all in %s (ttl %s + renew %s)", took, ttl, renew)
	if bound := 2*ttl + 2*renew; took > bound {
		t.Fatalf("takeover after crash took %s, want within %s", took, bound)
	}
	if f.losses(LossRedisError) != n/2 {
		t.Fatalf("crashed replica stood down %d suppliers for redis_error, want %d", f.losses(LossRedisError), n/2)
	}
}

func TestOwnershipFollowsSupplierSet(t *testing.T) {
	srv := redistest.Start(t)
	f := newFleet(t)
	o, _ := replicaRun(t, newClient(t, srv.URL()), f, "a", supplierIDs(4), time.Second, 100*time.Millisecond)
	waitFor(t, 5*time.Second, "4 owned", func() bool { return f.owned("a") == 4 })
	o.SetSuppliers(supplierIDs(2))
	waitFor(t, 5*time.Second, "2 owned", func() bool { return f.owned("a") == 2 })
	o.SetSuppliers(supplierIDs(6))
	waitFor(t, 5*time.Second, "6 owned", func() bool { return f.owned("a") == 6 })
}

// A Redis outage shorter than the ttl demotes nobody; one longer than the ttl demotes before
// the leases can expire, and leadership comes back with a higher token.
func TestOutageShorterThanTTLDoesNotDemote(t *testing.T) {
	srv := redistest.Start(t)
	const ttl, renew = time.Second, 200 * time.Millisecond
	ts := &terms{t: t}
	e, err := NewElection(newClient(t, srv.URL()), transport.MustKeys("t").LeaderLease("global"), "a", ttl, renew, nopLog(), nil)
	if err != nil {
		t.Fatal(err)
	}
	start(t, func(ctx context.Context) error { return e.Run(ctx, ts.lead("a")) })
	f := newFleet(t)
	replicaRun(t, newClient(t, srv.URL()), f, "a", supplierIDs(4), ttl, renew)
	waitFor(t, 5*time.Second, "leader and owner", func() bool { return e.IsLeader() && f.owned("a") == 4 })

	admin := newClient(t, srv.URL())
	ctx := context.Background()
	if err := admin.Do(ctx, "CLIENT", "PAUSE", 400, "ALL").Err(); err != nil {
		t.Fatal(err)
	}
	// Watch through the pause and two full ttls after it.
	watchUntil := time.Now().Add(400*time.Millisecond + 2*ttl)
	waitFor(t, 5*time.Second, "the watch window", func() bool {
		if !e.IsLeader() || f.owned("a") != 4 {
			t.Fatalf("demoted by a %s outage (ttl %s): leader=%v owned=%d", 400*time.Millisecond, ttl, e.IsLeader(), f.owned("a"))
		}
		return time.Now().After(watchUntil)
	})
	if len(ts.snapshot()) != 1 || f.losses(LossRedisError) != 0 {
		t.Fatalf("terms %d, supplier losses %d", len(ts.snapshot()), f.losses(LossRedisError))
	}

	// Now an outage longer than the ttl.
	paused := time.Now()
	if err := admin.Do(ctx, "CLIENT", "PAUSE", 1500, "ALL").Err(); err != nil {
		t.Fatal(err)
	}
	down := waitFor(t, 5*time.Second, "demotion", func() bool { return !e.IsLeader() && f.owned("a") == 0 })
	t.Logf("a %s outage demoted after %s (deadline ttl-ttl/5 = %s after the last renewal)", 1500*time.Millisecond, down, ttl-ttl/5)
	if since := time.Since(paused); since >= 1500*time.Millisecond {
		t.Fatalf("demoted only after the outage ended (%s)", since)
	}
	waitFor(t, 10*time.Second, "leadership back", e.IsLeader)
	list := ts.snapshot()
	checkTokensIncrease(t, list)
	waitFor(t, 10*time.Second, "suppliers back", func() bool { return f.owned("a") == 4 })
	if f.losses(LossRedisError) != 4 {
		t.Fatalf("supplier redis_error losses = %d, want 4", f.losses(LossRedisError))
	}
}
