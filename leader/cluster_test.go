package leader

import (
	"context"
	"testing"
	"time"

	"github.com/shannon-ops/pocket-relay-miner/transport"
	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

func TestClusterOwnershipAndElection(t *testing.T) {
	cl := redistest.StartCluster(t)
	ctx := context.Background()
	admin := newClient(t, cl.URL())
	k := transport.MustKeys("t")
	sup := supplierIDs(9)

	// Our slot computation agrees with the cluster's.
	for _, key := range []string{k.SupplierLease(sup[0]), k.SupplierLease(sup[5]), k.LeaderLease("global"), k.MinerReplicas(), "foo"} {
		want, err := admin.ClusterKeySlot(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if got := keySlot(key); int64(got) != want {
			t.Fatalf("slot(%s) = %d, cluster says %d", key, got, want)
		}
	}
	var fences []Fence
	for _, s := range sup {
		fences = append(fences, Fence{Key: k.SupplierLease(s)})
	}
	groups := groupBySlot(fences, isCluster(admin))
	if len(groups) < 2 {
		t.Fatalf("9 suppliers fell in %d slot groups; the test wants a multi-slot renewal", len(groups))
	}

	testPrimitives(t, admin)

	const ttl, renew = 600 * time.Millisecond, 100 * time.Millisecond
	f := newFleet(t)
	a, _ := replicaRun(t, newClient(t, cl.URL()), f, "a", sup, ttl, renew)
	waitFor(t, 10*time.Second, "a to own all", func() bool { return f.owned("a") == 9 })
	_, bRun := replicaRun(t, newClient(t, cl.URL()), f, "b", sup, ttl, renew)
	waitFor(t, 10*time.Second, "a 5/4 split", func() bool {
		na, nb := f.owned("a"), f.owned("b")
		return na+nb == 9 && (na == 5 || nb == 5)
	})
	// Renewals across slots keep the leases alive over several ttls.
	settled := time.Now().Add(3 * ttl)
	waitFor(t, 10*time.Second, "three ttls", func() bool {
		if f.owned("a")+f.owned("b") != 9 {
			t.Fatalf("lost a lease under steady state: a=%d b=%d", f.owned("a"), f.owned("b"))
		}
		return time.Now().After(settled)
	})
	// A fenced write in the supplier's slot works with the owner's fence.
	s := a.Owned()[0]
	fence, _ := a.Fence(s)
	w := NewFencedScript(`return redis.call('HSET', KEYS[2], 'owner', ARGV[2])`)
	if _, err := w.Run(ctx, admin, fence, []string{k.Session(s, "s1")}, "a"); err != nil {
		t.Fatal(err)
	}
	if err := bRun.stop(t); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "a to re-own all", func() bool { return f.owned("a") == 9 })

	// The global election works on Cluster with the hash-tagged key.
	ts := &terms{t: t}
	e, err := NewElection(newClient(t, cl.URL()), k.LeaderLease("global"), "a", ttl, renew, nopLog(), nil)
	if err != nil {
		t.Fatal(err)
	}
	start(t, func(ctx context.Context) error { return e.Run(ctx, ts.lead("a")) })
	waitFor(t, 10*time.Second, "leader on cluster", e.IsLeader)
}
