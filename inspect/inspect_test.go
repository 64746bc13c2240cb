package inspect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/leader"
	"github.com/shannon-ops/pocket-relay-miner/relayer/meter"
	"github.com/shannon-ops/pocket-relay-miner/transport"
	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// doc round-trips v through JSON, as the --json output prints it.
func doc(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func list(t *testing.T, m map[string]any, field string, n int) []map[string]any {
	t.Helper()
	raw, ok := m[field].([]any)
	if !ok || len(raw) != n {
		t.Fatalf("%s: want %d items, got %v", field, n, m[field])
	}
	out := make([]map[string]any, n)
	for i, r := range raw {
		out[i] = r.(map[string]any)
	}
	return out
}

func want(t *testing.T, m map[string]any, field string, v any) {
	t.Helper()
	got, _ := json.Marshal(m[field])
	exp, _ := json.Marshal(v)
	if !bytes.Equal(got, exp) {
		t.Errorf("%s = %s, want %s", field, got, exp)
	}
}

func setup(t *testing.T) (*Inspector, redis.UniversalClient, transport.Keys) {
	t.Helper()
	rdb := redistest.Start(t).Client()
	t.Cleanup(func() { rdb.Close() })
	keys := transport.MustKeys("t")
	fill(t, rdb, keys)
	in, err := New(rdb, keys)
	if err != nil {
		t.Fatal(err)
	}
	return in, rdb, keys
}

func TestReadCommands(t *testing.T) {
	in, rdb, keys := setup(t)
	stop := heartbeat(t, rdb, keys)
	defer stop()
	ctx := context.Background()

	t.Run("sessions", func(t *testing.T) {
		s, err := in.Sessions(ctx, "", "")
		if err != nil {
			t.Fatal(err)
		}
		r := list(t, doc(t, s), "sessions", 1)[0]
		for f, v := range map[string]any{"supplier": fxSupplier, "session_id": fxSession, "service": fxService,
			"application": fxApp, "start_height": 11, "end_height": 20, "state": "active", "reason": "",
			"root": "", "claim_attempts": 0, "proof_attempts": 0} {
			want(t, r, f, v)
		}
		s, err = in.Sessions(ctx, fxSupplier, "settled")
		if err != nil {
			t.Fatal(err)
		}
		list(t, doc(t, s), "sessions", 0)
		if _, err := in.Sessions(ctx, "", "bogus"); !errors.Is(err, ErrUsage) {
			t.Errorf("unknown state: %v", err)
		}
	})
	t.Run("smst", func(t *testing.T) {
		tr, err := in.Tree(ctx, fxSupplier, fxSession)
		if err != nil {
			t.Fatal(err)
		}
		m := doc(t, tr)
		for f, v := range map[string]any{"exists": true, "count": fxRelays, "sum": fxRelays * fxCUPR,
			"cupr": fxCUPR, "service": fxService, "application": fxApp, "start_height": 11, "end_height": 20} {
			want(t, m, f, v)
		}
		if len(tr.Root) != 96 || tr.Nodes < fxRelays {
			t.Errorf("root %q nodes %d", tr.Root, tr.Nodes)
		}
	})
	t.Run("streams", func(t *testing.T) {
		s, err := in.Streams(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		st := list(t, doc(t, s), "streams", 1)[0]
		want(t, st, "supplier", fxSupplier)
		want(t, st, "length", fxRelays)
		want(t, st, "last_session", fxSession)
		g := list(t, st, "groups", 1)[0]
		want(t, g, "name", transport.ConsumerGroup)
		want(t, g, "pending", 0)
		want(t, g, "lag", 0)
		c := list(t, g, "consumers", 1)[0]
		want(t, c, "name", fxReplica)
		want(t, c, "pending", 0)
	})
	t.Run("leader", func(t *testing.T) {
		l, err := in.Leader(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		m := doc(t, l)
		lease := m["lease"].(map[string]any)
		want(t, lease, "held", true)
		want(t, lease, "holder", fxReplica)
		want(t, lease, "token", 1)
		want(t, lease, "fence_counter", 1)
		if l.Lease.TTLMs <= 0 {
			t.Errorf("ttl %d", l.Lease.TTLMs)
		}
		r := list(t, m, "replicas", 1)[0]
		want(t, r, "id", fxReplica)
		if l.Replicas[0].AgeMs < 0 || l.Replicas[0].AgeMs > 10_000 {
			t.Errorf("heartbeat age %d ms", l.Replicas[0].AgeMs)
		}
	})
	t.Run("suppliers", func(t *testing.T) {
		s, err := in.Suppliers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		r := list(t, doc(t, s), "suppliers", 1)[0] // the leader lease is not a supplier
		want(t, r, "supplier", fxSupplier)
		want(t, r, "holder", fxReplica)
		want(t, r, "token", 1)
		want(t, r, "key", keys.SupplierLease(fxSupplier))
	})
	t.Run("meter", func(t *testing.T) {
		ms, err := in.Meter(ctx, fxSupplier, "")
		if err != nil {
			t.Fatal(err)
		}
		r := list(t, doc(t, ms), "meters", 1)[0]
		want(t, r, "session_id", fxSession)
		want(t, r, "consumed_upokt", 2*fxCost)
		if ms.Meters[0].TTLMs <= 0 {
			t.Errorf("ttl %d", ms.Meters[0].TTLMs)
		}
	})
	t.Run("submissions", func(t *testing.T) {
		s, err := in.Submissions(ctx, fxSupplier, 10)
		if err != nil {
			t.Fatal(err)
		}
		r := list(t, doc(t, s), "submissions", 1)[0]
		want(t, r, "kind", "claim")
		x := list(t, r, "txs", 1)[0]
		want(t, x, "hash", "ABCDEF")
		want(t, x, "outcome", "included")
	})
	t.Run("cache", func(t *testing.T) {
		l, err := in.CacheList(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		m := doc(t, l)
		e := list(t, m, "entries", 1)[0]
		want(t, e, "kind", "supplier")
		want(t, e, "key", fxSupplier)
		want(t, m, "live", map[string]int{"supplier": 1})
		g, err := in.CacheGet(ctx, "supplier", fxSupplier)
		if err != nil {
			t.Fatal(err)
		}
		v := doc(t, g)["value"].(map[string]any)
		want(t, v, "operator_address", fxSupplier)
		if g.Hex != "" || g.TTLMs <= 0 || g.LastUse == 0 {
			t.Errorf("entry %+v", g)
		}
	})
	t.Run("keys", func(t *testing.T) {
		k, err := in.Keys(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, f := range k.Families {
			got[f.Family] = f.Keys
			if f.MemoryBytes <= 0 {
				t.Errorf("%s: memory %d", f.Family, f.MemoryBytes)
			}
		}
		exp := map[string]int64{"relay_stream": 1, "smst_nodes": 1, "smst_meta": 1, "session": 1,
			"session_index": 1, "submissions": 1, "meter": 1, "supplier_lease": 1, "supplier_lease_fence": 1,
			"leader_lease": 1, "leader_lease_fence": 1, "miner_replicas": 1, "cache_entry": 1, "cache_live": 1}
		if g, e := doc(t, got), doc(t, exp); !bytes.Equal(must(json.Marshal(g)), must(json.Marshal(e))) {
			t.Errorf("families %v, want %v", got, exp)
		}
		if _, err := in.Keys(ctx, "*"); !errors.Is(err, ErrUsage) {
			t.Errorf("pattern outside the prefix: %v", err)
		}
	})
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestFlush(t *testing.T) {
	in, rdb, keys := setup(t)
	ctx := context.Background()
	if err := rdb.Set(ctx, "foreign:key", "x", 0).Err(); err != nil { // not ours: never touched
		t.Fatal(err)
	}
	before := rdb.DBSize(ctx).Val()

	dry, err := in.PlanFlush(ctx, keys.Prefix()+":*", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(dry.Keys) != int(before)-2 || len(dry.SkippedStreams) != 1 || !dry.DryRun {
		t.Fatalf("dry run over %d keys: %+v", before, dry)
	}
	if n := rdb.DBSize(ctx).Val(); n != before {
		t.Fatalf("dry run deleted keys: %d → %d", before, n)
	}
	for _, p := range []string{"", "*", "foreign:*", "t:v10:*", "t:*"} {
		if _, err := in.PlanFlush(ctx, p, true); !errors.Is(err, ErrUsage) {
			t.Errorf("pattern %q: %v", p, err)
		}
	}

	plan, err := in.PlanFlush(ctx, keys.Meter(fxSupplier, "*"), false)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Flush(ctx, plan); err != nil {
		t.Fatal(err)
	}
	if plan.Deleted != 1 || rdb.Exists(ctx, keys.Meter(fxSupplier, fxSession)).Val() != 0 || rdb.DBSize(ctx).Val() != before-1 {
		t.Fatalf("meter flush: %+v", plan)
	}

	all, err := in.PlanFlush(ctx, keys.Prefix()+":*", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Flush(ctx, all); err != nil {
		t.Fatal(err)
	}
	if got := rdb.Exists(ctx, keys.RelayStream(fxSupplier), "foreign:key").Val(); got != 2 || rdb.DBSize(ctx).Val() != 2 {
		t.Fatalf("flush without --include-streams: %d keys left", rdb.DBSize(ctx).Val())
	}
	all, err = in.PlanFlush(ctx, keys.Prefix()+":*", true)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Flush(ctx, all); err != nil {
		t.Fatal(err)
	}
	if rdb.DBSize(ctx).Val() != 1 {
		t.Fatalf("flush with --include-streams left %d keys", rdb.DBSize(ctx).Val())
	}
}

func TestCacheInvalidateReachesSubscribers(t *testing.T) {
	in, rdb, keys := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := make(chan Message, 1)
	ready := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- in.PubSub(ctx, ChannelCacheInvalidate, 1, func() { close(ready) }, func(m Message) { got <- m })
	}()
	<-ready
	if err := in.InvalidateCache(ctx, "supplier", fxSupplier); err != nil {
		t.Fatal(err)
	}
	m := <-got
	if m.Kind != "supplier" || m.Key != fxSupplier || m.Origin == "" || m.DecodeError != "" {
		t.Fatalf("message %+v", m)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if rdb.Exists(ctx, keys.CacheEntry("supplier", fxSupplier)).Val() != 0 {
		t.Fatal("L2 entry survived the invalidation")
	}
	if err := in.InvalidateCache(ctx, "nonsense", "k"); !errors.Is(err, ErrUsage) {
		t.Errorf("unknown kind: %v", err)
	}
}

func TestDecodeBlockMessage(t *testing.T) {
	m := decodeMessage(ChannelBlocks, "42 0a0b 1767323045000000000")
	if m.DecodeError != "" || m.Height != 42 || m.Hash != "0a0b" || m.BlockTime.Unix() != 1767323045 {
		t.Fatalf("%+v", m)
	}
	if decodeMessage(ChannelBlocks, "42 zz 1").DecodeError == "" {
		t.Fatal("bad hash accepted")
	}
}

func TestSessionsTableGolden(t *testing.T) {
	in, _, _ := setup(t)
	s, err := in.Sessions(context.Background(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := s.Table(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "sessions.golden")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	exp, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), exp) {
		t.Fatalf("table:\n%s\nwant:\n%s", buf.Bytes(), exp)
	}
}

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		pat, key string
		ok       bool
		vals     []string
	}{
		{"p:{*}:smst:*:meta", "p:{op}:smst:s1:meta", true, []string{"op", "s1"}},
		{"p:{*}:lease", "p:{op}:lease:fence", false, nil},
		{"p:cache:*:*", "p:cache:session:a/b/3", true, []string{"session", "a/b/3"}},
		{"p:miners", "p:miners", true, nil},
	} {
		vals, ok := match(c.pat, c.key)
		if ok != c.ok || string(must(json.Marshal(vals))) != string(must(json.Marshal(c.vals))) {
			t.Errorf("match(%q, %q) = %v %v", c.pat, c.key, vals, ok)
		}
	}
}

// TestCluster runs keys and flush against a 3-master Cluster, with keys of several suppliers
// (so several slots) written by the lease and meter writers.
func TestCluster(t *testing.T) {
	cl := redistest.StartCluster(t)
	rdb := cl.Client()
	defer rdb.Close()
	ctx := context.Background()
	keys := transport.MustKeys("c")
	mt, err := meter.New(rdb, keys, config.FailClosed, zerolog.Nop(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	ops := []string{"pokt1a", "pokt1b", "pokt1c", "pokt1d", "pokt1e", "pokt1f"}
	for _, op := range ops {
		if _, err := leader.TryAcquire(ctx, rdb, keys.SupplierLease(op), fxReplica, time.Minute); err != nil {
			t.Fatal(err)
		}
		if _, err := mt.Consume(ctx, op, fxSession, 100, 1, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	in, err := New(rdb, keys)
	if err != nil {
		t.Fatal(err)
	}
	k, err := in.Keys(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if k.Keys != int64(3*len(ops)) || len(k.Families) != 3 {
		t.Fatalf("keys on cluster: %+v", k)
	}
	s, err := in.Suppliers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Suppliers) != len(ops) {
		t.Fatalf("suppliers on cluster: %+v", s)
	}
	plan, err := in.PlanFlush(ctx, keys.Meter("*", "*"), false)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Flush(ctx, plan); err != nil {
		t.Fatal(err)
	}
	k, err = in.Keys(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if plan.Deleted != int64(len(ops)) || k.Keys != int64(2*len(ops)) {
		t.Fatalf("flush on cluster deleted %d, %d keys left", plan.Deleted, k.Keys)
	}
}
