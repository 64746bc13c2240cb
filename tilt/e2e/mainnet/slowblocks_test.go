//go:build e2e

package mainnet

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/shannon-ops/pocket-relay-miner/tilt/localnet"
)

// slowBlockTime is the block interval of the slow chain: long enough that a tx is not always
// included within one block time of being sent.
const slowBlockTime = 3 * time.Second

// TestSlowBlocksNoDuplicateTxs (issue 13 item 4) runs on a chain of its own with 3 s blocks
// and our miner's tx.confirm_timeout equal to the block time, as the defaults are on mainnet
// (30 s and 30 s). A tx that is merely slow to be included must not be resent: every session
// that received relays gets exactly one MsgCreateClaim and one MsgSubmitProof in the chain's
// blocks (failed txs included), and settles.
func TestSlowBlocksNoDuplicateTxs(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 6*time.Minute)
	defer cancel()
	dir := t.TempDir()
	slow, err := upChain(ctx, filepath.Join(dir, "chain"), localnet.Chain{BlockTime: slowBlockTime, GasPrice: gasPrice, ProofSubmissionFee: proofFee}, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		dctx, dcancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer dcancel()
		if err := slow.Down(dctx); err != nil {
			t.Errorf("stop the slow chain: %v", err)
		}
	})
	st, err := startStack(ctx, slow, stackSpec{dir: filepath.Join(dir, "ours"), confirmTimeout: slowBlockTime,
		keys: []localnet.Account{slow.Accounts.Supplier}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	t.Cleanup(func() { // runs before the chain's Down above: the logs are still there
		if t.Failed() {
			t.Logf("our miner's log tail:\n%s", logTail(st.miner))
		}
	})
	sup := slow.Accounts.Supplier.Address
	first := freshSession(t, ctx, slow)
	relayAll(t, ctx, slow, st, sup, 5)
	second := freshSession(t, ctx, slow)
	relayAll(t, ctx, slow, st, sup, 5)
	want := map[int64]int64{first.EndHeight: 5, second.EndHeight: 5}
	waitPublished(t, ctx, st, sup, want)
	settled(t, ctx, slow, sup, published(t, ctx, st, sup, first.EndHeight, second.EndHeight))

	last := slow.SessionAt(second.EndHeight).SettlementHeight(second.EndHeight)
	msgs, err := slow.ProofMsgs(ctx, first.EndHeight+1, last)
	if err != nil {
		t.Fatal(err)
	}
	count := map[int64]map[string]int{}
	for _, m := range msgs {
		if m.Supplier != sup {
			continue
		}
		if count[m.SessionEnd] == nil {
			count[m.SessionEnd] = map[string]int{}
		}
		count[m.SessionEnd][m.Type]++
		t.Logf("%s for the session ending at %d in block %d, code %d", m.Type, m.SessionEnd, m.Height, m.Code)
	}
	for _, end := range []int64{first.EndHeight, second.EndHeight} {
		for _, typ := range []string{localnet.MsgCreateClaimType, localnet.MsgSubmitProofType} {
			if n := count[end][typ]; n != 1 {
				t.Errorf("session ending at %d: %d txs with %s on chain, want exactly 1", end, n, typ)
			}
		}
	}
	assertNoPenalty(t, ctx, slow, sup, first.StartHeight, last)
}
