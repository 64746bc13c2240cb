package miner

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pokt-network/smt"
	"github.com/pokt-network/smt/kvstore/simplemap"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// tcTestConsumerConfig is a consumer config with short periods for tests.
func tcTestConsumerConfig(supplier, consumer string, rdb redis.UniversalClient, t testing.TB) ConsumerConfig {
	return ConsumerConfig{
		Supplier: supplier, Consumer: consumer, Fence: tcAcquire(t, rdb, supplier, consumer),
		BatchSize: 100, BlockTimeout: 20 * time.Millisecond,
		ReclaimEvery: 20 * time.Millisecond, ReclaimMinIdle: time.Second,
		LagEvery: 10 * time.Millisecond, RetryBackoff: 5 * time.Millisecond,
		Log: zerolog.Nop(),
	}
}

// tcRunConsumer starts a worker for cfg; the test stops it (Stop) or t.Cleanup does.
func tcRunConsumer(t testing.TB, rdb redis.UniversalClient, cfg ConsumerConfig) (*Consumer, *Worker, *ConsumeMetrics) {
	t.Helper()
	m := NewConsumeMetrics(prometheus.NewRegistry())
	c, err := NewConsumer(rdb, tcTestKeys, cfg, m)
	if err != nil {
		t.Fatal(err)
	}
	w := StartWorker(context.Background(), c)
	t.Cleanup(func() { _ = w.Stop() })
	return c, w, m
}

// tcDrained reports whether every entry of the supplier's stream was delivered and acknowledged.
func tcDrained(t testing.TB, rdb redis.UniversalClient, supplier string) bool {
	groups, err := rdb.XInfoGroups(context.Background(), tcTestKeys.RelayStream(supplier)).Result()
	if err != nil || len(groups) == 0 {
		return false
	}
	return groups[0].Lag == 0 && groups[0].Pending == 0
}

// tcWaitDrained waits until the supplier's stream is fully acknowledged.
func tcWaitDrained(t testing.TB, rdb redis.UniversalClient, supplier string) {
	t.Helper()
	tcEventually(t, 30*time.Second, "stream tcDrained", func() bool { return tcDrained(t, rdb, supplier) })
}

// tcReferenceRoot is the root of the protocol's in-memory trie holding each distinct relay once.
func tcReferenceRoot(t testing.TB, msgs []transport.Message) []byte {
	t.Helper()
	ref := smt.NewSparseMerkleSumTrie(simplemap.NewSimpleMap(), sha256.New(), smt.WithValueHasher(nil))
	for _, m := range msgs {
		if err := ref.Update(m.RelayHash[:], m.Relay, m.ComputeUnitsPerRelay); err != nil {
			t.Fatal(err)
		}
	}
	return ref.Root()
}

// tcRelays returns tcRelays [from, to) of one (supplier, session).
func tcRelays(supplier, session string, from, to int) []transport.Message {
	out := make([]transport.Message, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, tcTestRelay(supplier, session, i))
	}
	return out
}

// tcCommittedRoot reads the committed root of a (supplier, session) tree from Redis.
func tcCommittedRoot(t testing.TB, rdb redis.UniversalClient, supplier, session string) []byte {
	t.Helper()
	v, err := rdb.HGet(context.Background(), tcTestKeys.TreeMeta(supplier, session), metaRoot).Result()
	if err != nil {
		t.Fatalf("committed root of %s/%s: %v", supplier, session, err)
	}
	return []byte(v)
}

func tcAssertRoot(t testing.TB, rdb redis.UniversalClient, supplier, session string, msgs []transport.Message) {
	t.Helper()
	if got, want := tcCommittedRoot(t, rdb, supplier, session), tcReferenceRoot(t, msgs); !bytes.Equal(got, want) {
		t.Fatalf("%s/%s: committed root %x, reference %x", supplier, session, got, want)
	}
}

// tcAssertTreeComplete opens the committed tree from Redis as a new owner would and reads every
// relay of msgs back through the trie: a node missing from Redis (a batch committed on top of one
// that never landed) fails the read.
func tcAssertTreeComplete(t testing.TB, rdb redis.UniversalClient, supplier, session string, msgs []transport.Message) {
	t.Helper()
	tr, err := openTree(context.Background(), rdb, tcTestKeys, tcTestHeader(supplier, session), true)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	for i := range msgs {
		v, w, err := tr.trie.Get(msgs[i].RelayHash[:])
		if err != nil || !bytes.Equal(v, msgs[i].Relay) || w != msgs[i].ComputeUnitsPerRelay {
			t.Fatalf("relay %d read back from the committed tree: %d bytes, weight %d, %v", i, len(v), w, err)
		}
	}
}

// tcCounter reads the value of one tcCounter or gauge child.
func tcCounter(c prometheus.Metric) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}

var errTCCrash = errors.New("injected crash")

// tcCrashHooks fails the batch-th call of the hook named step, as a crash at that point would.
type tcCrashHooks struct {
	step  string
	batch int32
	calls atomic.Int32
}

func (h *tcCrashHooks) at(step string) error {
	if step == h.step && h.calls.Add(1) == h.batch {
		return errTCCrash
	}
	return nil
}
func (h *tcCrashHooks) AfterRead(int) error   { return h.at("after_read") }
func (h *tcCrashHooks) AfterApply(int) error  { return h.at("after_apply") }
func (h *tcCrashHooks) AfterCommit(int) error { return h.at("after_commit") }

// tcFailExec is a go-redis hook that fails the next n MULTI/EXEC transactions without sending
// them, as a commit that does not reach Redis. It also counts round trips (commands and
// pipelines).
type tcFailExec struct {
	n         atomic.Int32
	roundTrip atomic.Int64
	// every, when > 0, fails each every-th transaction instead (n is then ignored), so a
	// failure can hit a batch whose predecessor landed.
	every, execs atomic.Int32
}

var errTCInjectedExec = errors.New("injected EXEC failure")

func (h *tcFailExec) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

func (h *tcFailExec) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.roundTrip.Add(1)
		return next(ctx, cmd)
	}
}

func (h *tcFailExec) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.roundTrip.Add(1)
		for _, c := range cmds {
			if c.Name() != "exec" {
				continue
			}
			if e := h.every.Load(); e > 0 && h.execs.Add(1)%e == 0 {
				return errTCInjectedExec
			}
			if h.n.Load() > 0 {
				h.n.Add(-1)
				return errTCInjectedExec
			}
		}
		return next(ctx, cmds)
	}
}

func tcNopRegistry() *prometheus.Registry { return prometheus.NewRegistry() }
