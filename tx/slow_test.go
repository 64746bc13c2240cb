package tx

import (
	"context"
	"errors"
	"testing"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

// A tx still in the mempool when the confirm timeout ends is pending, not failed: the chain has
// not passed its timeout height, so it may land (and here it does, later).
func TestSlowTxIsPendingNotFailed(t *testing.T) {
	f := newFakeChain()
	f.hold = true
	reg := prometheus.NewRegistry()
	c, err := New(config.Tx{ConfirmTimeout: 20 * time.Millisecond}, f, f, reg, WithPollInterval(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	s := newTestSigner(t)
	sub, err := c.SubmitBatch(t.Context(), s, []sdk.Msg{send(s.Address(), "pokt1a", 1)}, Options{Kind: KindClaim, TimeoutHeight: 100})
	if err == nil || errors.Is(err, ErrTimeout) {
		t.Fatalf("error %v, want a not-yet-confirmed tx, not a timeout", err)
	}
	m := sub.Messages[0]
	if m.Status == MessageFailed || m.Status == MessageIncluded || m.Reason != ReasonUnconfirmed || m.TxHash == "" {
		t.Fatalf("outcome %+v, want a pending message naming its tx", m)
	}
	if got := counterValue(t, c, "claim", "timeout"); got != 0 {
		t.Fatalf("a tx that may still land counted as %v timeouts", got)
	}
	if acc := c.accounts.get(s.Address()); !acc.known || acc.sequence != 1 {
		t.Fatalf("sequence %d (known %v): a pending tx keeps its sequence", acc.sequence, acc.known)
	}
	f.includeHeld()
	res, found, err := f.GetTx(t.Context(), m.TxHash)
	if err != nil || !found || res.Code != 0 {
		t.Fatalf("the pending tx did not land: %+v %v %v", res, found, err)
	}
}

func TestLookupFindsLateTx(t *testing.T) {
	f := newFakeChain()
	f.hold = true
	c, _ := newTestClient(t, f, config.Tx{ConfirmTimeout: 5 * time.Millisecond})
	s := newTestSigner(t)
	sub, err := c.SubmitBatch(t.Context(), s, []sdk.Msg{send(s.Address(), "pokt1a", 1)}, Options{TimeoutHeight: 100})
	if !errors.Is(err, ErrUnconfirmed) || sub.Messages[0].Status != MessagePending {
		t.Fatalf("error %v, outcome %+v", err, sub.Messages[0])
	}
	hash := sub.Messages[0].TxHash
	if _, found, err := c.Lookup(t.Context(), hash); err != nil || found {
		t.Fatalf("found %v before its block, err %v", found, err)
	}
	f.includeHeld()
	if res, found, err := c.Lookup(t.Context(), hash); err != nil || !found || res.Hash != hash {
		t.Fatalf("lookup after its block: %+v %v %v", res, found, err)
	}
}

// With confirm_timeout 0 the wait is derived from the block time and the timeout height: on a
// chain that stalls below the timeout height it ends unconfirmed, never as a timeout.
func TestDerivedConfirmWaitOnStalledChain(t *testing.T) {
	f := newFakeChain()
	f.hold = true
	reg := prometheus.NewRegistry()
	c, err := New(config.Tx{}, f, f, reg, WithPollInterval(time.Millisecond), WithBlockTime(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	s := newTestSigner(t)
	_, err = c.Submit(t.Context(), s, []sdk.Msg{send(s.Address(), "pokt1a", 1)}, Options{TimeoutHeight: 13})
	if !errors.Is(err, ErrUnconfirmed) || errors.Is(err, ErrTimeout) {
		t.Fatalf("error %v, want ErrUnconfirmed", err)
	}
	if got := c.confirmWait(10, Pending{TimeoutHeight: 13}); got != 10*time.Millisecond {
		t.Fatalf("wait %v for 3 blocks to the timeout height, want (3+2)×2 blocks", got)
	}
}

// A broadcast whose answers were all lost may still have reached the node: its message is
// pending with the tx's hash, never "not attempted" (which would invite a second copy).
func TestUnansweredBroadcastIsPending(t *testing.T) {
	f := newFakeChain()
	f.unavailable, f.delivered = 1, true
	c, err := New(config.Tx{}, f, f, prometheus.NewRegistry(), WithPollInterval(time.Millisecond),
		WithBackoff(time.Millisecond, 2*time.Millisecond), WithMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	s := newTestSigner(t)
	sub, err := c.SubmitBatch(t.Context(), s, []sdk.Msg{send(s.Address(), "pokt1a", 1)}, Options{Kind: KindProof, TimeoutHeight: 100})
	if err == nil {
		t.Fatal("no error")
	}
	m := sub.Messages[0]
	if m.Status == MessageNotAttempted || m.Status == MessageFailed || m.TxHash == "" {
		t.Fatalf("outcome %+v, want pending with the tx hash", m)
	}
	if _, found, _ := f.GetTx(t.Context(), m.TxHash); !found {
		t.Fatal("the pending hash is not the tx the node took")
	}
}

// OnBroadcast names each tx that reached the node, with the messages it carries, before it is
// confirmed; a tx refused by CheckTx is not named.
func TestOnBroadcastNamesTxBeforeConfirm(t *testing.T) {
	f := newFakeChain()
	f.bad[badAddr] = true
	c, _ := newTestClient(t, f, config.Tx{GasLimit: 100_000})
	s := newTestSigner(t)
	type note struct {
		hash string
		msgs []int
	}
	var notes []note
	opts := Options{TimeoutHeight: 100, OnBroadcast: func(h string, m []int) { notes = append(notes, note{h, m}) }}
	msgs := []sdk.Msg{send(s.Address(), "pokt1a", 1), send(s.Address(), badAddr, 2)}
	sub, err := c.SubmitBatch(t.Context(), s, msgs, opts)
	if !errors.Is(err, ErrMessagesFailed) || len(sub.Txs) != 2 {
		t.Fatalf("error %v, txs %+v", err, sub.Txs)
	}
	if len(notes) != 2 || notes[0].hash != sub.Txs[0].Hash || len(notes[0].msgs) != 2 ||
		notes[1].hash != sub.Txs[1].Hash || len(notes[1].msgs) != 1 || notes[1].msgs[0] != 0 {
		t.Fatalf("notes %+v for txs %+v", notes, sub.Txs)
	}
}

// A broadcast cut short by the caller's context may have reached the node too: pending.
func TestCanceledBroadcastIsPending(t *testing.T) {
	f := newFakeChain()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	f.cancel = cancel
	c, _ := newTestClient(t, f, config.Tx{})
	s := newTestSigner(t)
	sub, err := c.SubmitBatch(ctx, s, []sdk.Msg{send(s.Address(), "pokt1a", 1)}, Options{TimeoutHeight: 100})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v", err)
	}
	if m := sub.Messages[0]; m.Status != MessagePending || m.TxHash != f.broadcasts[0].hash {
		t.Fatalf("outcome %+v, want pending naming the tx the node took", m)
	}
}
