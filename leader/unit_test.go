package leader

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shannon-ops/pocket-relay-miner/transport"
)

func TestCRC16AndSlots(t *testing.T) {
	if got := crc16("123456789"); got != 0x31C3 {
		t.Fatalf("crc16 = %#x, want 0x31c3", got)
	}
	for key, want := range map[string]int{"foo": 12182, "{foo}.x": 12182, "a{}b": keySlot("a{}b")} {
		if got := keySlot(key); got != want {
			t.Errorf("slot(%q) = %d, want %d", key, got, want)
		}
	}
	k := transport.MustKeys("t")
	lease := k.SupplierLease("pokt1abc")
	if keySlot(lease) != keySlot(counterKey(lease)) || keySlot(lease) != keySlot(k.Session("pokt1abc", "s")) {
		t.Fatal("a supplier's lease, counter and data keys must share a slot")
	}
}

func TestGroupBySlot(t *testing.T) {
	k := transport.MustKeys("t")
	var fences []Fence
	for i := range 10 {
		fences = append(fences, newFence(k.SupplierLease(fmt.Sprintf("op%d", i)), "r", 1))
	}
	if g := groupBySlot(fences, false); len(g) != 1 || len(g[0]) != 10 {
		t.Fatalf("standalone: want one group of 10, got %d groups", len(g))
	}
	groups := groupBySlot(fences, true)
	total := 0
	for _, g := range groups {
		for _, f := range g[1:] {
			if keySlot(f.Key) != keySlot(g[0].Key) {
				t.Fatalf("group mixes slots: %s and %s", f.Key, g[0].Key)
			}
		}
		total += len(g)
	}
	if total != 10 || len(groups) < 2 {
		t.Fatalf("cluster: %d fences in %d groups", total, len(groups))
	}
}

func TestAssignBalancedAndDeterministic(t *testing.T) {
	for _, tc := range []struct{ n, r int }{{1, 1}, {12, 2}, {9, 2}, {10, 3}, {100, 7}, {3, 5}} {
		t.Run(fmt.Sprintf("n%d_r%d", tc.n, tc.r), func(t *testing.T) {
			var sup, rep []string
			for i := range tc.n {
				sup = append(sup, fmt.Sprintf("pokt1s%03d", i))
			}
			for i := range tc.r {
				rep = append(rep, fmt.Sprintf("miner-%d", i))
			}
			a := assign(sup, rep)
			if len(a) != tc.n {
				t.Fatalf("assigned %d of %d", len(a), tc.n)
			}
			quota := (tc.n + tc.r - 1) / tc.r
			load := map[string]int{}
			for _, r := range a {
				load[r]++
			}
			for r, n := range load {
				if n > quota {
					t.Errorf("%s owns %d > quota %d", r, n, quota)
				}
			}
			// Another replica computing from reversed input must agree.
			rs, rr := slices.Clone(sup), slices.Clone(rep)
			slices.Reverse(rs)
			slices.Reverse(rr)
			b := assign(rs, rr)
			for s, r := range a {
				if b[s] != r {
					t.Fatalf("assignment depends on input order: %s → %s vs %s", s, r, b[s])
				}
			}
		})
	}
}

func TestAssignMovesFewOnJoin(t *testing.T) {
	var sup []string
	for i := range 120 {
		sup = append(sup, fmt.Sprintf("pokt1s%03d", i))
	}
	before := assign(sup, []string{"a", "b", "c"})
	after := assign(sup, []string{"a", "b", "c", "d"})
	moved := 0
	for s, r := range after {
		if before[s] != r {
			moved++
		}
	}
	// The newcomer takes its 30; a perfectly stable scheme moves exactly that many.
	if moved > 45 {
		t.Fatalf("%d of 120 suppliers moved when a 4th replica joined", moved)
	}
	t.Logf("moved %d of 120 on join (ideal 30)", moved)
}

func TestConstructorsValidate(t *testing.T) {
	k := transport.MustKeys("t")
	c := newClient(t, "redis://127.0.0.1:1")
	if _, err := NewElection(c, k.Prefix()+":leader:untagged", "a", time.Second, 100*time.Millisecond, nopLog(), nil); err == nil {
		t.Error("a lease key without hash tag (counter in another slot) was accepted")
	}
	if _, err := NewElection(c, k.LeaderLease("global"), "a", time.Second, 600*time.Millisecond, nopLog(), nil); err == nil {
		t.Error("renew period over ttl/2 was accepted")
	}
	reg := prometheus.NewRegistry()
	if _, err := NewElection(c, k.LeaderLease("global"), "a", time.Second, 100*time.Millisecond, nopLog(), reg); err != nil {
		t.Fatal(err)
	}
	// A second component on the same registry shares the collectors.
	if _, err := NewOwnership(c, k, "a", time.Second, 100*time.Millisecond, nopOwner{}, nopLog(), reg); err != nil {
		t.Fatalf("second constructor on one registry: %v", err)
	}
	if _, err := NewOwnership(c, k, "", time.Second, 100*time.Millisecond, nopOwner{}, nopLog(), nil); err == nil {
		t.Error("empty replica id was accepted")
	}
}
