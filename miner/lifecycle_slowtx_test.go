package miner

import (
	"testing"

	"github.com/shannon-ops/pocket-relay-miner/tx"
)

// slowVariants are the ways a tx client reports a tx that was accepted but not found in a
// block yet: pending (the tx client's answer once its wait ends first), and a timeout as the
// tx client of ead1b60 reported it after confirm_timeout (the block time) elapsed.
var slowVariants = []struct {
	name   string
	status tx.MessageStatus
	reason string
}{
	{name: "pending", status: tx.MessageStatus("pending"), reason: "unconfirmed"},
	{name: "confirm timeout", status: tx.MessageFailed, reason: tx.ReasonTimeout},
}

// A claim and a proof whose txs land blocks after the submit gave up on them are never sent
// twice, and the session ends settled, not failed (issue 13, item 4).
func TestRunnerSlowTxIsNeverResent(t *testing.T) {
	for _, v := range slowVariants {
		t.Run(v.name, func(t *testing.T) {
			g := newRunnerRig(t)
			gate := NewGate()
			txs := &fakeTx{chain: g.chain, slow: v.status, slowReason: v.reason}
			r := g.runner(t, gate, txs)
			g.mine(t, gate, "aa", 4)
			step(t, r, 10)
			_ = block(r, 12) // claim window: the claim tx is sent, not in a block yet
			for _, h := range []int64{13, 14} {
				step(t, r, h) // still not in a block: looked up, not re-sent
			}
			if len(txs.claims) != 1 || states(r) != "aa:claiming " {
				t.Fatalf("before the claim landed: %d claims sent, %s", len(txs.claims), states(r))
			}
			txs.land()
			step(t, r, 15)
			if got := states(r); got != "aa:claimed " {
				t.Fatalf("after the claim landed: %s", got)
			}
			_ = block(r, 16) // proof window: the proof tx is sent, not in a block yet
			for _, h := range []int64{17, 18} {
				step(t, r, h)
			}
			if len(txs.proofs) != 1 || states(r) != "aa:proving " {
				t.Fatalf("before the proof landed: %d proofs sent, %s", len(txs.proofs), states(r))
			}
			txs.land() // found by its tx only: the chain keeps no proof
			step(t, r, 19)
			step(t, r, 21)
			if len(txs.claims) != 1 || len(txs.proofs) != 1 {
				t.Fatalf("%d claims and %d proofs sent, want one each", len(txs.claims), len(txs.proofs))
			}
			if got := states(r); got != "aa:settled " {
				t.Fatalf("end: %s", got)
			}
		})
	}
}

// A claim tx that never lands is not re-sent while it still could (until the chain reaches the
// claim window close, its timeout height); then the session fails as it must.
func TestRunnerLostClaimTxFailsAtWindowClose(t *testing.T) {
	for _, v := range slowVariants {
		t.Run(v.name, func(t *testing.T) {
			g := newRunnerRig(t)
			gate := NewGate()
			txs := &fakeTx{chain: g.chain, slow: v.status, slowReason: v.reason}
			r := g.runner(t, gate, txs)
			g.mine(t, gate, "aa", 4)
			step(t, r, 10)
			_ = block(r, 12)
			for h := int64(13); h <= 15; h++ {
				_ = block(r, h)
			}
			if len(txs.claims) != 1 {
				t.Fatalf("%d claims sent while the first could still land, want 1", len(txs.claims))
			}
			for h := int64(16); h <= 17; h++ {
				_ = block(r, h)
			}
			if got := states(r); got != "aa:failed/tx_failed " {
				t.Fatalf("end: %s", got)
			}
		})
	}
}

// A pending proof tx later found failed in its block is decided at once (not left pending to
// the window close) and the proof is sent again while the window is open.
func TestRunnerProofTxFailedInBlockIsResent(t *testing.T) {
	g := newRunnerRig(t)
	gate := NewGate()
	txs := &fakeTx{chain: g.chain}
	r := g.runner(t, gate, txs)
	g.mine(t, gate, "aa", 4)
	step(t, r, 10)
	step(t, r, 12)
	txs.slow, txs.slowReason = tx.MessageStatus("pending"), "unconfirmed"
	_ = block(r, 16) // the proof tx is sent and stays pending
	if len(txs.proofs) != 1 || states(r) != "aa:proving " {
		t.Fatalf("%d proofs, %s", len(txs.proofs), states(r))
	}
	txs.failed = map[string]bool{}
	for h := range txs.pending {
		txs.failed[h] = true
	}
	txs.pending, txs.slow = nil, ""
	step(t, r, 17) // found failed in its block: sent again, and included
	if len(txs.proofs) != 2 || states(r) != "aa:proved " {
		t.Fatalf("%d proofs, %s", len(txs.proofs), states(r))
	}
}
