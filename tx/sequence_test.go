package tx

import (
	"errors"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

// TestBackToBackUsesLocalSequence broadcasts three txs without waiting for inclusion: the
// account is read once and each tx takes the next sequence.
func TestBackToBackUsesLocalSequence(t *testing.T) {
	f := newFakeChain()
	f.seq, f.committedSeq = 3, 3
	c, _ := newTestClient(t, f, config.Tx{GasPrices: "0.01upokt"})
	s := newTestSigner(t)
	var ps []Pending
	for i := range 3 {
		p, err := c.Broadcast(t.Context(), s, []sdk.Msg{send(s.Address(), s.Address(), int64(i+1))}, Options{Kind: KindOther})
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	for i, p := range ps {
		if p.Sequence != uint64(3+i) {
			t.Errorf("tx %d has sequence %d, want %d", i, p.Sequence, 3+i)
		}
		r, err := c.Confirm(t.Context(), p)
		if err != nil || r.Height == 0 {
			t.Fatalf("confirm tx %d: %v (%+v)", i, err, r)
		}
	}
	// gas = simulated 100000 × default 1.5; fee = 150000 × 0.01.
	if b := f.broadcasts[0]; b.gas != 150_000 || b.fee.String() != "1500upokt" {
		t.Errorf("gas %d fee %s, want 150000 and 1500upokt", b.gas, b.fee)
	}
}

func TestSequenceMismatchResyncs(t *testing.T) {
	tests := []struct {
		name       string
		noExpected bool // the log lacks "expected N": refetch the account instead
	}{
		{name: "adopts expected from log"},
		{name: "refetches account", noExpected: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeChain()
			// The account query is stale: txs of another process are still in the mempool.
			f.committedSeq, f.noExpected, f.seq = 0, tt.noExpected, 5
			c, _ := newTestClient(t, f, config.Tx{GasLimit: 80_000}) // no simulation: CheckTx sees the mismatch
			s := newTestSigner(t)
			p, err := c.Broadcast(t.Context(), s, []sdk.Msg{send(s.Address(), s.Address(), 1)}, Options{})
			if tt.noExpected {
				// Stale forever without "expected": the retries exhaust.
				if err == nil || !isRetryable(err) {
					t.Fatalf("error %v, want retryable after exhausted attempts", err)
				}
				f.mu.Lock()
				f.committedSeq = 5
				f.mu.Unlock()
				p, err = c.Broadcast(t.Context(), s, []sdk.Msg{send(s.Address(), s.Address(), 1)}, Options{})
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Sequence != 5 {
				t.Fatalf("sent with sequence %d, want 5", p.Sequence)
			}
			if _, err := c.Confirm(t.Context(), p); err != nil {
				t.Fatal(err)
			}
			// The next tx uses the local sequence 6 without asking again.
			p, err = c.Broadcast(t.Context(), s, []sdk.Msg{send(s.Address(), s.Address(), 2)}, Options{})
			if err != nil || p.Sequence != 6 {
				t.Fatalf("next tx: sequence %d, err %v; want 6", p.Sequence, err)
			}
		})
	}
}

func TestSimulateMismatchResyncs(t *testing.T) {
	f := newFakeChain()
	f.seq, f.committedSeq = 2, 0
	c, _ := newTestClient(t, f, config.Tx{})
	s := newTestSigner(t)
	r, err := c.Submit(t.Context(), s, []sdk.Msg{send(s.Address(), s.Address(), 1)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.broadcasts) != 1 || f.broadcasts[0].sequence != 2 || r.Height == 0 {
		t.Fatalf("broadcasts %+v result %+v", f.broadcasts, r)
	}
}

func TestTransientRetries(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(f *fakeChain)
		wantSends int // txs the chain took
	}{
		{name: "mempool full", setup: func(f *fakeChain) { f.mempoolFull = 2 }, wantSends: 1},
		{name: "unavailable, not received", setup: func(f *fakeChain) { f.unavailable = 2 }, wantSends: 1},
		// The node took the tx but the answer was lost: the same bytes are re-sent, the node
		// says it has them, and nothing is sent twice.
		{name: "unavailable, received", setup: func(f *fakeChain) { f.unavailable, f.delivered = 1, true }, wantSends: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeChain()
			tt.setup(f)
			c, _ := newTestClient(t, f, config.Tx{})
			s := newTestSigner(t)
			r, err := c.Submit(t.Context(), s, []sdk.Msg{send(s.Address(), s.Address(), 1)}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(f.broadcasts) != tt.wantSends || r.Hash != f.broadcasts[0].hash {
				t.Fatalf("chain took %d txs, want %d (result %s)", len(f.broadcasts), tt.wantSends, r.Hash)
			}
			p, err := c.Broadcast(t.Context(), s, []sdk.Msg{send(s.Address(), s.Address(), 2)}, Options{})
			if err != nil || p.Sequence != 1 {
				t.Fatalf("next tx: sequence %d, err %v; want 1", p.Sequence, err)
			}
		})
	}
}

func TestCheckTxRefusalIsImmediate(t *testing.T) {
	f := newFakeChain()
	c, _ := newTestClient(t, f, config.Tx{})
	s := newTestSigner(t)
	_, err := c.Broadcast(t.Context(), s, []sdk.Msg{send(s.Address(), s.Address(), 1)}, Options{TimeoutHeight: 5})
	var ce *ChainError
	if !errors.As(err, &ce) || ce.Stage != StageCheck || ce.Code != codeTxTimeoutHeight || !errors.Is(err, ErrTimeout) {
		t.Fatalf("error %v, want a check-stage timeout", err)
	}
	if isRetryable(err) || len(f.broadcasts) != 0 {
		t.Fatalf("retryable %v, broadcasts %d", isRetryable(err), len(f.broadcasts))
	}
}

func TestAccountErrorNotAttempted(t *testing.T) {
	f := newFakeChain()
	f.accountErr = errors.New("account not found")
	c, _ := newTestClient(t, f, config.Tx{})
	s := newTestSigner(t)
	sub, err := c.SubmitBatch(t.Context(), s, []sdk.Msg{send(s.Address(), s.Address(), 1)}, Options{})
	if err == nil || sub.Messages[0].Status != MessageNotAttempted || sub.Messages[0].Error == "" {
		t.Fatalf("err %v, outcome %+v", err, sub.Messages[0])
	}
}
