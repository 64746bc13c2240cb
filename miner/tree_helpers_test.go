package miner

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shannon-ops/pocket-relay-miner/leader"
	"github.com/shannon-ops/pocket-relay-miner/transport"
	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

var tcTestKeys = transport.MustKeys("test")

const (
	tcTestSupplier = "pokt1supplieraaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	tcTestSession  = "5e551011d0000000000000000000000000000000000000000000000000000001"
	tcTestCUPR     = 7
)

// tcTestRelay returns the relay message number i of session for supplier: deterministic
// pseudo-random relay bytes of 300 to 800 bytes and their hash.
func tcTestRelay(supplier, session string, i int) transport.Message {
	seed := sha256.Sum256([]byte(fmt.Sprintf("%s/%s/%d", supplier, session, i)))
	n := 300 + int(binary.BigEndian.Uint16(seed[:2]))%500
	relay := make([]byte, 0, n+sha256.Size)
	for len(relay) < n {
		seed = sha256.Sum256(seed[:])
		relay = append(relay, seed[:]...)
	}
	relay = relay[:n]
	return transport.Message{
		Relay: relay, RelayHash: transport.HashRelay(relay), ComputeUnitsPerRelay: tcTestCUPR,
		Supplier: supplier, Application: "pokt1app", ServiceID: "anvil", SessionID: session,
		SessionStartHeight: 101, SessionEndHeight: 110,
	}
}

func tcTestHeader(supplier, session string) SessionHeader {
	m := tcTestRelay(supplier, session, 0)
	return headerOf(&m)
}

// tcXadd appends the encoded messages to their supplier's stream.
func tcXadd(t testing.TB, rdb redis.UniversalClient, msgs ...transport.Message) {
	t.Helper()
	ctx := context.Background()
	for start := 0; start < len(msgs); start += 500 {
		_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := start; i < min(start+500, len(msgs)); i++ {
				b, err := msgs[i].Encode()
				if err != nil {
					return err
				}
				p.XAdd(ctx, &redis.XAddArgs{Stream: tcTestKeys.RelayStream(msgs[i].Supplier), Values: []any{transport.MessageField, b}})
			}
			return nil
		})
		if err != nil {
			t.Fatalf("tcXadd: %v", err)
		}
	}
}

// tcAcquire takes the supplier's lease for holder.
func tcAcquire(t testing.TB, rdb redis.UniversalClient, supplier, holder string) leader.Fence {
	t.Helper()
	f, err := leader.TryAcquire(context.Background(), rdb, tcTestKeys.SupplierLease(supplier), holder, time.Minute)
	if err != nil {
		t.Fatalf("tcAcquire lease: %v", err)
	}
	return f
}

// tcStartRedis returns a client of a fresh redis-server owned by t.
func tcStartRedis(t testing.TB) *redis.Client {
	t.Helper()
	rdb := redistest.Start(t).Client()
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// tcCommitTrees commits the given trees (prepared here) with no stream entries.
func tcCommitTrees(t testing.TB, rdb redis.UniversalClient, f leader.Fence, trees ...*Tree) {
	t.Helper()
	var changes []*treeChanges
	for _, tr := range trees {
		ch, err := tr.take()
		if err != nil {
			t.Fatal(err)
		}
		changes = append(changes, ch)
	}
	if err := commitBatch(context.Background(), rdb, f, tcTestKeys.RelayStream(tcTestSupplier), nil, changes); err != nil {
		t.Fatalf("commit: %v", err)
	}
	for _, ch := range changes {
		ch.landed()
	}
}

// tcEventually polls cond every 10ms until it holds, failing t after timeout.
func tcEventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		case <-tick.C:
		}
	}
}
