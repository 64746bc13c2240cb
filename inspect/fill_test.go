package inspect

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/cache"
	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/leader"
	"github.com/shannon-ops/pocket-relay-miner/miner"
	"github.com/shannon-ops/pocket-relay-miner/relayer/meter"
	"github.com/shannon-ops/pocket-relay-miner/transport"
	"github.com/shannon-ops/pocket-relay-miner/tx"
)

// Fixture values written by fill.
const (
	fxSupplier = "pokt1supplieraaaa"
	fxApp      = "pokt1appbbbb"
	fxService  = "anvil"
	fxSession  = "sess-0001"
	fxReplica  = "replica-a"
	fxRelays   = 5
	fxCUPR     = 3
	fxCost     = 7
)

// fill writes one deployment's worth of state through the real writers: the supplier lease
// (leader.TryAcquire), relays (transport.Publisher, EnsureGroup) mined into a tree by the
// miner's Consumer, the session record and a submission (miner.StateStore), a meter
// consumption (relayer/meter), the global lease and a replica heartbeat (leader.Ownership) and
// a cache entry (cache.Cache with a fake loader). It returns a stop func for the heartbeat.
func fill(t *testing.T, rdb redis.UniversalClient, keys transport.Keys) {
	t.Helper()
	ctx := context.Background()
	fence, err := leader.TryAcquire(ctx, rdb, keys.SupplierLease(fxSupplier), fxReplica, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leader.TryAcquire(ctx, rdb, keys.LeaderLease("global"), fxReplica, time.Minute); err != nil {
		t.Fatal(err)
	}
	stream := keys.RelayStream(fxSupplier)
	if err := transport.EnsureGroup(ctx, rdb, stream); err != nil {
		t.Fatal(err)
	}
	pub := transport.NewPublisher(rdb, keys)
	for i := range fxRelays {
		relay := []byte(fmt.Sprintf("relay-%d", i))
		m := &transport.Message{Relay: relay, RelayHash: transport.HashRelay(relay), ComputeUnitsPerRelay: fxCUPR,
			Supplier: fxSupplier, Application: fxApp, ServiceID: fxService, SessionID: fxSession,
			SessionStartHeight: 11, SessionEndHeight: 20}
		if err := pub.Publish(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	mine(t, rdb, keys, fence)

	st, err := miner.NewStateStore(rdb, keys, miner.StateStoreConfig{BlockTime: time.Second, TTLSessions: 2})
	if err != nil {
		t.Fatal(err)
	}
	rec := miner.Record{Supplier: fxSupplier, Header: &sessiontypes.SessionHeader{
		ApplicationAddress: fxApp, ServiceId: fxService, SessionId: fxSession,
		SessionStartBlockHeight: 11, SessionEndBlockHeight: 20}, Session: miner.NewSession(fxSession)}
	if err := st.Save(ctx, fence, 15, rec); err != nil {
		t.Fatal(err)
	}
	sub := tx.Submission{Kind: tx.KindClaim, Signer: fxSupplier,
		StartedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), FinishedAt: time.Date(2026, 1, 2, 3, 4, 9, 0, time.UTC),
		Txs:      []tx.TxAttempt{{Hash: "ABCDEF", Height: 22, Messages: []int{0}, Outcome: tx.OutcomeIncluded}},
		Messages: []tx.MessageOutcome{{Index: 0, TypeURL: "/pocket.proof.MsgCreateClaim", Status: tx.MessageIncluded, TxHash: "ABCDEF", Height: 22}}}
	if err := st.AppendSubmission(ctx, fence, fxSupplier, sub, time.Hour); err != nil {
		t.Fatal(err)
	}

	mt, err := meter.New(rdb, keys, config.FailClosed, zerolog.Nop(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if d, err := mt.Consume(ctx, fxSupplier, fxSession, 1000, fxCost, time.Hour); err != nil || !d.Serve() {
			t.Fatalf("meter consume: %v %v", d, err)
		}
	}

	hub := cache.NewHub(rdb, keys, nil)
	c, err := cache.New(hub, cache.Options[string, *sharedtypes.Supplier]{
		Kind: cache.KindSupplier, Codec: cache.ProtoCodec[sharedtypes.Supplier](), Live: true,
		Load: func(_ context.Context, op string) (*sharedtypes.Supplier, error) {
			return &sharedtypes.Supplier{OperatorAddress: op, OwnerAddress: op}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, fxSupplier); err != nil {
		t.Fatal(err)
	}
}

// mine runs the miner's Consumer under fence until every published relay is committed.
func mine(t *testing.T, rdb redis.UniversalClient, keys transport.Keys, fence leader.Fence) {
	t.Helper()
	hooks := &commitCounter{done: make(chan struct{})}
	c, err := miner.NewConsumer(rdb, keys, miner.ConsumerConfig{Supplier: fxSupplier, Consumer: fxReplica,
		Fence: fence, BlockTimeout: 50 * time.Millisecond, Hooks: hooks, Log: zerolog.Nop()},
		miner.NewConsumeMetrics(prometheus.NewRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	w := miner.StartWorker(context.Background(), c)
	select {
	case <-hooks.done:
	case <-time.After(20 * time.Second):
		t.Fatal("consumer did not commit the relays")
	}
	if err := w.Stop(); err != nil {
		t.Fatal(err)
	}
}

type commitCounter struct {
	n    atomic.Int64
	done chan struct{}
}

func (*commitCounter) AfterRead(int) error  { return nil }
func (*commitCounter) AfterApply(int) error { return nil }
func (h *commitCounter) AfterCommit(n int) error {
	if h.n.Add(int64(n)) == fxRelays {
		close(h.done)
	}
	return nil
}

// heartbeat runs a leader.Ownership for fxReplica (no suppliers) until the returned stop is
// called, once its heartbeat is in the replica set.
func heartbeat(t *testing.T, rdb redis.UniversalClient, keys transport.Keys) (stop func()) {
	t.Helper()
	o, err := leader.NewOwnership(rdb, keys, fxReplica, 2*time.Second, 200*time.Millisecond, noOwner{}, zerolog.Nop(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for rdb.ZCard(context.Background(), keys.MinerReplicas()).Val() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no heartbeat")
		}
		tm := time.NewTimer(20 * time.Millisecond)
		<-tm.C
	}
	return func() { cancel(); <-done }
}

type noOwner struct{}

func (noOwner) Acquired(context.Context, string, leader.Fence) {}
func (noOwner) Lost(string, leader.Fence, leader.LossReason)   {}
