package tx

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

const badAddr = "pokt1bad"

func TestBatchDropsFailingMessage(t *testing.T) {
	tests := []struct {
		name      string
		cfg       config.Tx
		simulate  bool  // Simulate runs the messages and catches the bad one
		wantStage Stage // where message 1 fails
		wantTxs   int
	}{
		{name: "delivery", cfg: config.Tx{GasLimit: 200_000}, wantStage: StageDeliver, wantTxs: 2},
		{name: "simulation", simulate: true, wantStage: StageSimulate, wantTxs: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeChain()
			f.bad[badAddr], f.simulateRuns = true, tt.simulate
			c, reg := newTestClient(t, f, tt.cfg)
			s := newTestSigner(t)
			msgs := []sdk.Msg{send(s.Address(), "pokt1a", 1), send(s.Address(), badAddr, 2), send(s.Address(), "pokt1c", 3)}
			sub, err := c.SubmitBatch(t.Context(), s, msgs, Options{Kind: KindClaim, TimeoutHeight: 100})
			if !errors.Is(err, ErrMessagesFailed) {
				t.Fatalf("error %v, want ErrMessagesFailed", err)
			}
			if len(sub.Txs) != tt.wantTxs {
				t.Fatalf("%d txs, want %d: %+v", len(sub.Txs), tt.wantTxs, sub.Txs)
			}
			m := sub.Messages
			if m[0].Status != MessageIncluded || m[2].Status != MessageIncluded || m[0].TxHash != sub.Txs[1].Hash {
				t.Fatalf("sends not included by the second tx: %+v", m)
			}
			if m[1].Status != MessageFailed || m[1].Reason != string(tt.wantStage) || !strings.Contains(m[1].Error, "recipient refused") {
				t.Fatalf("bad message outcome %+v", m[1])
			}
			if m[1].TypeURL != "/cosmos.bank.v1beta1.MsgSend" {
				t.Fatalf("type url %q", m[1].TypeURL)
			}
			// The second tx carries messages 0 and 2 only, newly signed.
			if got := sub.Txs[1].Messages; len(got) != 2 || got[0] != 0 || got[1] != 2 {
				t.Fatalf("second tx carried %v", got)
			}
			last := f.broadcasts[len(f.broadcasts)-1]
			if len(last.msgs) != 2 || last.msgs[1].ToAddress != "pokt1c" {
				t.Fatalf("resent tx carries %v", last.msgs)
			}
			if tt.wantStage == StageDeliver {
				if m[1].TxHash != sub.Txs[0].Hash || m[1].Height == 0 || sub.Txs[0].Code != 18 {
					t.Fatalf("delivery failure not located: %+v / %+v", m[1], sub.Txs[0])
				}
				if f.broadcasts[0].sequence != 0 || last.sequence != 1 {
					t.Fatalf("sequences %d, %d; want 0, 1", f.broadcasts[0].sequence, last.sequence)
				}
				if got := counterValue(t, c, "claim", "failed"); got != 1 {
					t.Fatalf("failed claims counted %v, want 1", got)
				}
			}
			if got := counterValue(t, c, "claim", "included"); got != 1 {
				t.Fatalf("included claims counted %v, want 1", got)
			}
			if got := sampleCount(t, reg, "relayminer_tx_gas_used", "claim"); got != 1 {
				t.Fatalf("gas used observed %d times, want 1", got)
			}
			if _, err := json.Marshal(sub); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestBatchAllBad(t *testing.T) {
	f := newFakeChain()
	f.bad[badAddr] = true
	c, _ := newTestClient(t, f, config.Tx{GasLimit: 100_000})
	s := newTestSigner(t)
	msgs := []sdk.Msg{send(s.Address(), badAddr, 1), send(s.Address(), badAddr, 2)}
	sub, err := c.SubmitBatch(t.Context(), s, msgs, Options{})
	if !errors.Is(err, ErrMessagesFailed) || sub.Included() != 0 || len(sub.Txs) != 2 {
		t.Fatalf("err %v, included %d, txs %d", err, sub.Included(), len(sub.Txs))
	}
	for _, m := range sub.Messages {
		if m.Status != MessageFailed || m.Reason != ReasonDeliver {
			t.Fatalf("outcome %+v", m)
		}
	}
}

func TestBatchAllGood(t *testing.T) {
	f := newFakeChain()
	c, _ := newTestClient(t, f, config.Tx{})
	s := newTestSigner(t)
	sub, err := c.SubmitBatch(t.Context(), s, []sdk.Msg{send(s.Address(), "pokt1a", 1), send(s.Address(), "pokt1b", 2)}, Options{Kind: KindProof})
	if err != nil || sub.Included() != 2 || len(sub.Txs) != 1 || sub.Txs[0].Outcome != OutcomeIncluded || sub.Txs[0].GasUsed == 0 {
		t.Fatalf("err %v, sub %+v", err, sub)
	}
}

// TestNeverIncludedIsTimeout: a tx accepted into the mempool but never included is reported
// as a timeout once the chain passes its timeout height, and the signer's sequence is fetched
// again.
func TestNeverIncludedIsTimeout(t *testing.T) {
	f := newFakeChain()
	f.lose = true
	c, _ := newTestClient(t, f, config.Tx{})
	s := newTestSigner(t)
	sub, err := c.SubmitBatch(t.Context(), s, []sdk.Msg{send(s.Address(), "pokt1a", 1)}, Options{Kind: KindProof, TimeoutHeight: 12})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("error %v, want ErrTimeout", err)
	}
	if m := sub.Messages[0]; m.Status != MessageFailed || m.Reason != ReasonTimeout || sub.Txs[0].Outcome != OutcomeTimeout {
		t.Fatalf("outcome %+v, tx %+v", m, sub.Txs[0])
	}
	if got := counterValue(t, c, "proof", "timeout"); got != 1 {
		t.Fatalf("timeouts counted %v", got)
	}
	if acc := c.accounts.get(s.Address()); acc.known {
		t.Fatal("sequence still trusted after a lost tx")
	}
}

func TestConfirmTimeoutWithoutHeight(t *testing.T) {
	f := newFakeChain()
	f.lose = true
	reg := prometheus.NewRegistry()
	c, err := New(config.Tx{ConfirmTimeout: 20 * time.Millisecond}, f, f, reg, WithPollInterval(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	s := newTestSigner(t)
	_, err = c.Submit(t.Context(), s, []sdk.Msg{send(s.Address(), "pokt1a", 1)}, Options{})
	// Without a timeout height nothing says the tx can no longer land: it is unconfirmed.
	if !errors.Is(err, ErrUnconfirmed) || errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "not found within") {
		t.Fatalf("error %v, want ErrUnconfirmed after the confirm timeout", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	f := newFakeChain()
	for _, cfg := range []config.Tx{{GasPrices: "x"}, {GasAdjustment: -1}, {ConfirmTimeout: -time.Second}} {
		if _, err := New(cfg, f, f, nil); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

func counterValue(t *testing.T, c *Client, kind, outcome string) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.m.submitted.WithLabelValues(kind, outcome).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// sampleCount is the number of observations of histogram name for kind in reg.
func sampleCount(t *testing.T, reg *prometheus.Registry, name, kind string) uint64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" && l.GetValue() == kind {
					return m.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	t.Fatalf("no %s{kind=%q}", name, kind)
	return 0
}
