package miner

import (
	"context"
	"sync"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"
	prooftypes "github.com/pokt-network/poktroll/x/proof/types"
	"go.uber.org/goleak"

	"github.com/shannon-ops/pocket-relay-miner/tx"
)

// stuckTx never confirms the txs of one session and kind: SubmitBatch waits until its context
// ends (the Runner's Close). Everything else goes to the fakeTx underneath.
type stuckTx struct {
	*fakeTx
	session string
	kind    tx.Kind

	mu        sync.Mutex
	calls     int           // stuck sends started
	broadcast chan struct{} // if set, closed once the first stuck tx was broadcast
}

func (f *stuckTx) SubmitBatch(ctx context.Context, s tx.Signer, msgs []sdk.Msg, o tx.Options) (tx.Submission, error) {
	if o.Kind == f.kind && sessionOf(msgs[0]) == f.session {
		f.mu.Lock()
		f.calls++
		f.mu.Unlock()
		if o.OnBroadcast != nil {
			o.OnBroadcast("STUCK", []int{0}) // it reached the mempool, and stays there
		}
		if f.broadcast != nil && f.calls == 1 {
			close(f.broadcast)
		}
		<-ctx.Done()
		return tx.Submission{}, ctx.Err()
	}
	return f.fakeTx.SubmitBatch(ctx, s, msgs, o)
}

func sessionOf(m sdk.Msg) string {
	switch m := m.(type) {
	case *prooftypes.MsgCreateClaim:
		return m.SessionHeader.SessionId
	case *prooftypes.MsgSubmitProof:
		return m.SessionHeader.SessionId
	}
	return ""
}

// await applies the outcomes of sends as they finish until the send of session id did.
func await(t *testing.T, r *Runner, h int64, id string) {
	t.Helper()
	for {
		res := <-r.results
		if err := r.finish(context.Background(), h, res); err != nil {
			t.Fatalf("height %d: %v", h, err)
		}
		for _, x := range res.ids {
			if x == id {
				return
			}
		}
	}
}

// A claim or proof tx of one session group that never confirms delays no other group: the
// next group's claim and proof are sent and applied on their blocks while it hangs, and it is
// sent once (issue 13, item 5).
func TestRunnerStuckTxDoesNotBlockOtherGroups(t *testing.T) {
	for _, kind := range []tx.Kind{tx.KindClaim, tx.KindProof} {
		t.Run(string(kind), func(t *testing.T) {
			g := newRunnerRig(t)
			gate := NewGate()
			base := &fakeTx{chain: g.chain}
			txs := &stuckTx{fakeTx: base, session: "aa", kind: kind}
			r := g.runner(t, gate, txs)
			leaks := goleak.IgnoreCurrent() // the rig's Redis server and client; the Runner's sends must end
			g.mineAt(t, gate, "aa", 1, 10, 3)
			g.mineAt(t, gate, "bb", 11, 20, 3)
			step := func(h int64) {
				t.Helper()
				if err := r.OnBlock(context.Background(), h, nil); err != nil {
					t.Fatalf("height %d: %v", h, err)
				}
			}
			step(10)
			step(12) // aa's claim
			if kind == tx.KindProof {
				await(t, r, 12, "aa")
				step(16) // aa's proof: it hangs
			}
			for h := int64(17); h <= 22; h++ {
				step(h) // 22: bb's claim window opens
			}
			await(t, r, 22, "bb")
			step(26) // bb's proof window
			await(t, r, 26, "bb")
			want := map[tx.Kind]string{tx.KindClaim: "aa:claiming bb:proved ", tx.KindProof: "aa:proving bb:proved "}[kind]
			if got := states(r); got != want {
				t.Fatalf("while aa's %s hangs: %s, want %s", kind, got, want)
			}
			if rec := r.Sessions()[0]; !rec.Session.InFlight {
				t.Fatalf("aa's hanging %s is not in flight: %+v", kind, rec.Session)
			}
			r.Close() // stops aa's send and waits for it
			goleak.VerifyNone(t, leaks)
			if txs.calls != 1 {
				t.Fatalf("aa's %s sent %d times, want once", kind, txs.calls)
			}
			if len(base.claims) != map[tx.Kind]int{tx.KindClaim: 1, tx.KindProof: 2}[kind] || len(base.proofs) != 1 {
				t.Fatalf("delivered %d claims, %d proofs", len(base.claims), len(base.proofs))
			}
		})
	}
}

// A replica that dies while its claim tx is still unconfirmed leaves the tx's hash in Redis (it
// is persisted at the first block after the broadcast): the new owner looks that tx up and
// sends nothing while it can still land, then adopts the claim when it does.
func TestTakeoverDuringSendLooksUpBroadcastTx(t *testing.T) {
	g := newRunnerRig(t)
	gateA := NewGate()
	stuck := &stuckTx{fakeTx: &fakeTx{chain: g.chain}, session: "aa", kind: tx.KindClaim, broadcast: make(chan struct{})}
	a := g.runner(t, gateA, stuck)
	g.mine(t, gateA, "aa", 3)
	for _, h := range []int64{10, 12, 13} { // 12: the claim is sent; 13: its hash is persisted
		if h == 13 {
			<-stuck.broadcast
		}
		if err := a.OnBlock(context.Background(), h, nil); err != nil {
			t.Fatalf("height %d: %v", h, err)
		}
	}
	a.Close() // the replica dies; its tx is still in the mempool

	txB := &fakeTx{chain: g.chain, landed: map[string]bool{}}
	b := g.runner(t, NewGate(), txB)
	if rec := b.Sessions()[0]; !rec.Session.InFlight || rec.Session.TxHash != "STUCK" {
		t.Fatalf("the new owner inherits %+v", rec.Session)
	}
	step(t, b, 14)
	if len(txB.claims) != 0 || states(b) != "aa:claiming " {
		t.Fatalf("new owner sent %d claims while the first could land; %s", len(txB.claims), states(b))
	}
	root, _ := g.trees.Root(context.Background(), "aa")
	g.chain.claims["aa/"+g.op] = StoredClaim(g.op, testHeader("aa", 1, 10), root) // it lands
	txB.landed["STUCK"] = true
	step(t, b, 15)
	if len(txB.claims) != 0 || states(b) != "aa:claimed " {
		t.Fatalf("after it landed: %d claims re-sent; %s", len(txB.claims), states(b))
	}
}
