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

	mu    sync.Mutex
	calls int // stuck sends started
}

func (f *stuckTx) SubmitBatch(ctx context.Context, s tx.Signer, msgs []sdk.Msg, o tx.Options) (tx.Submission, error) {
	if o.Kind == f.kind && sessionOf(msgs[0]) == f.session {
		f.mu.Lock()
		f.calls++
		f.mu.Unlock()
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
