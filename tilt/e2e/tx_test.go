//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	prooftypes "github.com/pokt-network/poktroll/x/proof/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/keys"
	"github.com/shannon-ops/pocket-relay-miner/query"
	"github.com/shannon-ops/pocket-relay-miner/tx"
)

// txSender is the account the tx tests sign with: the service owner, funded at genesis and
// idle after staking, so nothing else moves its sequence or balance meanwhile.
func txSender(t *testing.T) *keys.Signer {
	t.Helper()
	name := chain.Accounts.ServiceOwner.Name
	m, err := keys.New(keys.Options{Keyring: &keys.KeyringOptions{
		Backend: keys.BackendTest, Dir: chain.Home, Names: []string{name},
	}}, zerolog.Nop(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	s, ok := m.Get(chain.Accounts.ServiceOwner.Address)
	if !ok {
		t.Fatalf("key %s does not give %s (got %v)", name, chain.Accounts.ServiceOwner.Address, m.Addresses())
	}
	return s
}

// newTxClient is a tx.Client on the localnet's gRPC with cfg (chain id filled in).
func newTxClient(t *testing.T, cfg config.Tx) *tx.Client {
	t.Helper()
	conn, err := grpc.NewClient(chain.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	q, err := query.New(query.Config{GRPCAddr: chain.GRPCAddr, Insecure: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	cfg.ChainID = chain.ChainID
	c, err := tx.New(cfg, tx.NewGRPCNode(conn), q, prometheus.NewRegistry(), tx.WithPollInterval(250*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func sendMsg(from, to string, amount int64) sdk.Msg {
	return &banktypes.MsgSend{FromAddress: from, ToAddress: to, Amount: sdk.NewCoins(sdk.NewInt64Coin("upokt", amount))}
}

// hasTransfer reports whether events hold a bank transfer of amount to recipient.
func hasTransfer(r tx.Result, recipient, amount string) bool {
	for _, e := range r.Events {
		if e.Type != "transfer" {
			continue
		}
		var to, amt string
		for _, a := range e.Attributes {
			switch a.Key {
			case "recipient":
				to = a.Value
			case "amount":
				amt = a.Value
			}
		}
		if to == recipient && amt == amount {
			return true
		}
	}
	return false
}

// TestTxBackToBackSameSigner broadcasts three sends from one signer without waiting for
// inclusion: the local sequence gives each the next number, and all three are included.
func TestTxBackToBackSameSigner(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 40*time.Second)
	defer cancel()
	s := txSender(t)
	c := newTxClient(t, config.Tx{GasAdjustment: 1.5, GasPrices: "0upokt"})
	to := chain.Accounts.Gateway.Address
	h, err := chain.Height(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ps []tx.Pending
	for i := range 3 {
		p, err := c.Broadcast(ctx, s, []sdk.Msg{sendMsg(s.Address(), to, int64(101+i))}, tx.Options{TimeoutHeight: h + 20})
		if err != nil {
			t.Fatalf("broadcast %d: %v", i, err)
		}
		if i > 0 && p.Sequence != ps[i-1].Sequence+1 {
			t.Fatalf("tx %d sequence %d after %d", i, p.Sequence, ps[i-1].Sequence)
		}
		ps = append(ps, p)
	}
	for i, p := range ps {
		r, err := c.Confirm(ctx, p)
		if err != nil {
			t.Fatalf("confirm %d: %v", i, err)
		}
		if r.Code != 0 || r.Height <= h || r.GasUsed <= 0 {
			t.Fatalf("tx %d result %+v", i, r)
		}
		if amt := strconv.Itoa(101+i) + "upokt"; !hasTransfer(r, to, amt) {
			t.Fatalf("tx %d: no transfer of %s to %s in events", i, amt, to)
		}
		t.Logf("tx %d (sequence %d) included at height %d, gas used %d", i, p.Sequence, r.Height, r.GasUsed)
	}
}

// bogusClaim passes ValidateBasic (so CheckTx accepts it) but names a session that does not
// exist, so it fails when delivered.
func bogusClaim(operator string) sdk.Msg {
	root := bytes.Repeat([]byte{1}, 48) // non-zero count and sum
	return &prooftypes.MsgCreateClaim{
		SupplierOperatorAddress: operator,
		SessionHeader: &sessiontypes.SessionHeader{
			ApplicationAddress:      chain.Accounts.Application.Address,
			ServiceId:               chain.ServiceID,
			SessionId:               "bogus-session",
			SessionStartBlockHeight: 1,
			SessionEndBlockHeight:   2,
		},
		RootHash: root,
	}
}

// TestTxBatchDropsFailingMessage sends [send, bogus claim, send]. With a fixed gas limit the
// batch reaches delivery and fails on message 1; the claim is recorded as failed and the two
// sends are re-sent in a new tx and land. With simulation the claim is caught before
// broadcasting. Balances prove what landed.
func TestTxBatchDropsFailingMessage(t *testing.T) {
	tests := []struct {
		name      string
		cfg       config.Tx
		wantStage tx.Stage
		wantTxs   int
	}{
		// Every included tx pays the fixed 1upokt, the failed one too.
		{name: "delivery", cfg: config.Tx{GasLimit: 400_000, Fees: "1upokt"}, wantStage: tx.StageDeliver, wantTxs: 2},
		{name: "simulation", cfg: config.Tx{GasAdjustment: 1.5, Fees: "1upokt"}, wantStage: tx.StageSimulate, wantTxs: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 40*time.Second)
			defer cancel()
			s := txSender(t)
			c := newTxClient(t, tt.cfg)
			to1, to2 := chain.Accounts.Gateway.Address, chain.Accounts.Application.Address
			h, err := chain.Height(ctx)
			if err != nil {
				t.Fatal(err)
			}
			from0, err := chain.Balance(ctx, s.Address())
			if err != nil {
				t.Fatal(err)
			}
			to10, _ := chain.Balance(ctx, to1)
			to20, _ := chain.Balance(ctx, to2)

			msgs := []sdk.Msg{sendMsg(s.Address(), to1, 1000), bogusClaim(s.Address()), sendMsg(s.Address(), to2, 2000)}
			sub, err := c.SubmitBatch(ctx, s, msgs, tx.Options{Kind: tx.KindClaim, TimeoutHeight: h + 20})
			if !errors.Is(err, tx.ErrMessagesFailed) {
				t.Fatalf("error %v, want ErrMessagesFailed; submission %+v", err, sub)
			}
			m := sub.Messages
			if m[0].Status != tx.MessageIncluded || m[2].Status != tx.MessageIncluded || m[0].Height == 0 {
				t.Fatalf("sends not included: %+v", m)
			}
			if m[1].Status != tx.MessageFailed || m[1].Reason != string(tt.wantStage) || m[1].Error == "" {
				t.Fatalf("claim outcome %+v", m[1])
			}
			if len(sub.Txs) != tt.wantTxs {
				t.Fatalf("%d txs, want %d: %+v", len(sub.Txs), tt.wantTxs, sub.Txs)
			}
			t.Logf("claim failed at %s: %s", m[1].Reason, m[1].Error)

			var fees uint64 = 1
			if tt.wantStage == tx.StageDeliver {
				fees = 2 // the failed tx was included and paid too
			}
			from1, err := chain.Balance(ctx, s.Address())
			if err != nil {
				t.Fatal(err)
			}
			to11, _ := chain.Balance(ctx, to1)
			to21, _ := chain.Balance(ctx, to2)
			if from0-from1 != 3000+fees || to11-to10 != 1000 || to21-to20 != 2000 {
				t.Fatalf("balances: sender -%d (want -%d), recipients +%d +%d (want +1000 +2000)",
					from0-from1, 3000+fees, to11-to10, to21-to20)
			}
		})
	}
}

// TestTxPastTimeoutHeightIsTimeout: a tx whose timeout height has passed is reported as a
// timeout, never as success, whether Simulate or CheckTx catches it.
func TestTxPastTimeoutHeightIsTimeout(t *testing.T) {
	for _, cfg := range []config.Tx{{GasAdjustment: 1.5}, {GasLimit: 200_000}} {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		s := txSender(t)
		c := newTxClient(t, cfg)
		h, err := chain.Height(ctx)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		sub, err := c.SubmitBatch(ctx, s, []sdk.Msg{sendMsg(s.Address(), chain.Accounts.Gateway.Address, 5)},
			tx.Options{Kind: tx.KindProof, TimeoutHeight: h - 1})
		cancel()
		if !errors.Is(err, tx.ErrTimeout) {
			t.Fatalf("gas limit %d: error %v, want ErrTimeout", cfg.GasLimit, err)
		}
		if m := sub.Messages[0]; m.Status != tx.MessageFailed || m.Reason != tx.ReasonTimeout {
			t.Fatalf("gas limit %d: outcome %+v", cfg.GasLimit, m)
		}
		if o := sub.Txs[0].Outcome; o != tx.OutcomeTimeout {
			t.Fatalf("gas limit %d: tx outcome %s", cfg.GasLimit, o)
		}
	}
}
