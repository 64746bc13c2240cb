package miner

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/pokt-network/poktroll/pkg/crypto/protocol"
	"github.com/pokt-network/smt"
	"github.com/pokt-network/smt/kvstore/simplemap"
)

// tcReferenceTrie is the protocol's tree over an in-memory map, built the way the spec says.
func tcReferenceTrie() (*smt.SMST, map[string][]byte) {
	nodes := make(map[string][]byte)
	store := simplemap.NewSimpleMapWithMap(nodes)
	return smt.NewSparseMerkleSumTrie(store, sha256.New(), smt.WithValueHasher(nil)), nodes
}

// TestTreeRootMatchesReference builds a tree through the Redis store in batches, resumes it on a
// fresh Tree from the committed root, keeps inserting, and checks at each step that the root
// equals the reference trie's, that Redis holds every node of the reference with the same bytes
// (plus orphans, which are kept until Tree.Delete), that a resumed tree knows its relays
// without walking the trie, and that closest proofs verify with the protocol spec.
func TestTreeRootMatchesReference(t *testing.T) {
	rdb := tcStartRedis(t)
	ctx := context.Background()
	f := tcAcquire(t, rdb, tcTestSupplier, "a")
	h := tcTestHeader(tcTestSupplier, tcTestSession)
	ref, refStore := tcReferenceTrie()

	tree, err := OpenTree(ctx, rdb, tcTestKeys, h)
	if err != nil {
		t.Fatal(err)
	}
	if got := tree.Root(); !bytes.Equal(got, ref.Root()) {
		t.Fatalf("empty root %x, reference %x", got, []byte(ref.Root()))
	}
	insert := func(tr *Tree, from, to int) {
		for i := from; i < to; i++ {
			m := tcTestRelay(tcTestSupplier, tcTestSession, i)
			added, err := tr.Insert(&m)
			if err != nil || !added {
				t.Fatalf("insert %d: added %v, err %v", i, added, err)
			}
			if err := ref.Update(m.RelayHash[:], m.Relay, m.ComputeUnitsPerRelay); err != nil {
				t.Fatal(err)
			}
		}
		tcCommitTrees(t, rdb, f, tr)
		if err := ref.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	check := func(tr *Tree, n int) {
		t.Helper()
		if got, want := tr.Root(), []byte(ref.Root()); !bytes.Equal(got, want) {
			t.Fatalf("after %d tcRelays: root %x, reference %x", n, got, want)
		}
		if tr.Count() != uint64(n) || tr.Sum() != uint64(n*tcTestCUPR) {
			t.Fatalf("count %d sum %d, want %d and %d", tr.Count(), tr.Sum(), n, n*tcTestCUPR)
		}
		meta, err := rdb.HGetAll(ctx, tcTestKeys.TreeMeta(tcTestSupplier, tcTestSession)).Result()
		if err != nil {
			t.Fatal(err)
		}
		if meta[metaRoot] != string(ref.Root()) || meta[metaCount] != fmt.Sprint(n) {
			t.Fatalf("committed meta %q/%s differs from the reference root", meta[metaRoot], meta[metaCount])
		}
		stored, err := rdb.HGetAll(ctx, tcTestKeys.TreeNodes(tcTestSupplier, tcTestSession)).Result()
		if err != nil {
			t.Fatal(err)
		}
		for k, want := range refStore {
			if got, ok := stored[k]; !ok || got != string(want) {
				t.Fatalf("reference node %x: redis has %v (%d bytes), want %d bytes", k, ok, len(got), len(want))
			}
		}
		if len(stored) != len(refStore) {
			t.Fatalf("redis holds %d nodes, the reference %d: orphans must be deleted with their batch", len(stored), len(refStore))
		}
		if tr.paths == nil || len(tr.paths) != n {
			t.Fatalf("tree knows %d relay paths (nil %v), want %d", len(tr.paths), tr.paths == nil, n)
		}
		tcVerifyProofs(t, tr, 20)
	}

	insert(tree, 0, 1)
	check(tree, 1)
	insert(tree, 1, 300)
	check(tree, 300)
	insert(tree, 300, 700)
	check(tree, 700)

	// Opened lazily (OpenTree, as the lifecycle does to claim and prove): the root and a few
	// proofs read only the nodes they visit; a duplicate is still found (by walking the trie).
	lazy, err := OpenTree(ctx, rdb, tcTestKeys, SessionHeader{Supplier: tcTestSupplier, SessionID: tcTestSession})
	if err != nil {
		t.Fatal(err)
	}
	if got := lazy.Root(); !bytes.Equal(got, ref.Root()) || lazy.Count() != 700 {
		t.Fatalf("lazily opened root %x count %d, want %x and 700", got, lazy.Count(), []byte(ref.Root()))
	}
	tcVerifyProofs(t, lazy, 2)
	if lazy.store.full || lazy.store.gets == 0 || lazy.store.gets > lazyGets {
		t.Fatalf("two proofs read %d nodes one by one (full load %v)", lazy.store.gets, lazy.store.full)
	}
	if dup := tcTestRelay(tcTestSupplier, tcTestSession, 7); func() bool { a, err := lazy.Insert(&dup); return a || err != nil }() {
		t.Fatal("lazily opened tree accepted a committed relay again")
	}
	tcVerifyProofs(t, lazy, 40) // past lazyGets: the rest is loaded at once
	if !lazy.store.full {
		t.Fatalf("after %d lazy reads the nodes were not loaded", lazy.store.gets)
	}
	lazy.Close()

	resumed, err := openTree(ctx, rdb, tcTestKeys, SessionHeader{Supplier: tcTestSupplier, SessionID: tcTestSession}, true)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Header() != h || resumed.ComputeUnitsPerRelay() != tcTestCUPR {
		t.Fatalf("resumed header %+v cupr %d, want %+v and %d", resumed.Header(), resumed.ComputeUnitsPerRelay(), h, tcTestCUPR)
	}
	check(resumed, 700)
	// The resume read exactly the live nodes (the reference store's).
	if len(resumed.store.loaded) != len(refStore) {
		t.Fatalf("resume loaded %d nodes, the live trie has %d", len(resumed.store.loaded), len(refStore))
	}
	for k := range refStore {
		if _, ok := resumed.store.loaded[k]; !ok {
			t.Fatalf("resume did not load live node %x", k)
		}
	}
	old := tcTestRelay(tcTestSupplier, tcTestSession, 42)
	if added, err := resumed.Insert(&old); added || err != nil {
		t.Fatalf("relay committed before the resume inserted again: added %v, err %v", added, err)
	}
	insert(resumed, 700, 1000)
	check(resumed, 1000)

	if err := resumed.Delete(ctx, rdb, f); err != nil {
		t.Fatal(err)
	}
	n, err := rdb.Exists(ctx, tcTestKeys.TreeNodes(tcTestSupplier, tcTestSession), tcTestKeys.TreeMeta(tcTestSupplier, tcTestSession)).Result()
	if err != nil || n != 0 {
		t.Fatalf("after Delete %d tree keys remain (err %v): orphans must go too", n, err)
	}
}

// tcVerifyProofs checks n closest proofs of tr against its root with the protocol's spec, and
// that each compacts and marshals as the chain expects.
func tcVerifyProofs(t *testing.T, tr *Tree, n int) {
	t.Helper()
	spec := protocol.NewSMTSpec()
	for i := range n {
		path := sha256.Sum256([]byte(fmt.Sprintf("seed-block-hash-%d%s", i, tcTestSession)))
		proof, err := tr.ProveClosest(path[:])
		if err != nil {
			t.Fatalf("prove closest: %v", err)
		}
		ok, err := smt.VerifyClosestProof(proof, tr.Root(), spec)
		if err != nil || !ok {
			t.Fatalf("closest proof %d does not verify: %v", i, err)
		}
		compact, err := smt.CompactClosestProof(proof, spec)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := compact.Marshal(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTreeDuplicateIsNoop inserts the same relay twice: the second insert reports false and
// leaves the root unchanged; a different weight in the same tree is refused.
func TestTreeDuplicateIsNoop(t *testing.T) {
	rdb := tcStartRedis(t)
	ctx := context.Background()
	f := tcAcquire(t, rdb, tcTestSupplier, "a")
	tree, err := OpenTree(ctx, rdb, tcTestKeys, tcTestHeader(tcTestSupplier, tcTestSession))
	if err != nil {
		t.Fatal(err)
	}
	m := tcTestRelay(tcTestSupplier, tcTestSession, 1)
	if added, err := tree.Insert(&m); !added || err != nil {
		t.Fatalf("first insert: %v %v", added, err)
	}
	tcCommitTrees(t, rdb, f, tree)
	root := tree.Root()
	dup := tcTestRelay(tcTestSupplier, tcTestSession, 1)
	if added, err := tree.Insert(&dup); added || err != nil {
		t.Fatalf("duplicate insert: added %v, err %v", added, err)
	}
	if !bytes.Equal(tree.Root(), root) || tree.dirty {
		t.Fatal("a duplicate changed the tree")
	}
	other := tcTestRelay(tcTestSupplier, tcTestSession, 2)
	other.ComputeUnitsPerRelay++
	if _, err := tree.Insert(&other); err == nil {
		t.Fatal("a relay with another weight was accepted")
	}
}
