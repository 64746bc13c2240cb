package miner

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	prooftypes "github.com/pokt-network/poktroll/x/proof/types"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	"github.com/pokt-network/smt"
	"github.com/pokt-network/smt/kvstore/simplemap"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/shannon-ops/pocket-relay-miner/leader"
	"github.com/shannon-ops/pocket-relay-miner/transport"
	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
	"github.com/shannon-ops/pocket-relay-miner/tx"
)

// fakeChain answers from fixed params; claims are what fakeTx included. The operator's balance
// is plenty unless balance is set.
type fakeChain struct {
	mu      sync.Mutex
	shared  *sharedtypes.Params
	proof   prooftypes.Params
	claims  map[string]*prooftypes.Claim
	balance *sdk.Coin
}

func (c *fakeChain) Balance(_ context.Context, _, denom string) (sdk.Coin, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.balance != nil {
		return *c.balance, nil
	}
	return sdk.NewInt64Coin(denom, 1_000_000_000_000), nil
}

func (c *fakeChain) SharedParamsAt(context.Context, int64) (*sharedtypes.Params, error) {
	return c.shared, nil
}
func (c *fakeChain) CUPRAt(context.Context, string, int64) (uint64, error) { return testCUPR, nil }
func (c *fakeChain) DifficultyAt(_ context.Context, svc string, _ int64) (*servicetypes.RelayMiningDifficulty, error) {
	t := make([]byte, 32)
	for i := range t {
		t[i] = 0xff
	}
	return &servicetypes.RelayMiningDifficulty{ServiceId: svc, TargetHash: t}, nil
}
func (c *fakeChain) ProofParams(context.Context) (*prooftypes.Params, error) { return &c.proof, nil }
func (c *fakeChain) BlockHash(_ context.Context, h int64) ([]byte, error) {
	s := sha256.Sum256([]byte(fmt.Sprint("block", h)))
	return s[:], nil
}
func (c *fakeChain) Claim(_ context.Context, id, op string) (*prooftypes.Claim, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.claims[id+"/"+op], nil
}

const testCUPR = 3

// fakeTrees are in-memory sum tries.
type fakeTrees struct {
	tries   map[string]*smt.SMST
	deleted map[string]bool
}

func (f *fakeTrees) tree(id string) *smt.SMST {
	if f.tries[id] == nil {
		f.tries[id] = smt.NewSparseMerkleSumTrie(simplemap.NewSimpleMap(), sha256.New(), smt.WithValueHasher(nil))
	}
	return f.tries[id]
}
func (f *fakeTrees) Root(_ context.Context, id string) ([]byte, error) {
	return []byte(f.tree(id).Root()), nil
}
func (f *fakeTrees) ProveClosest(_ context.Context, id string, path []byte) (*smt.SparseMerkleClosestProof, error) {
	return f.tree(id).ProveClosest(path)
}
func (f *fakeTrees) Delete(_ context.Context, id string) error { f.deleted[id] = true; return nil }

// fakeTx includes every message (storing claims on the chain) unless crash is set, in which
// case it returns as if the process died mid-send: no outcome at all. With slow set, a tx is
// accepted but not yet in a block when SubmitBatch returns: its messages get status slow (with
// reason slowReason and the tx's hash) and reach the chain only at land.
type fakeTx struct {
	chain      *fakeChain
	crash      bool
	slow       tx.MessageStatus
	slowReason string
	claims     []*prooftypes.MsgCreateClaim
	proofs     []*prooftypes.MsgSubmitProof
	pending    map[string][]sdk.Msg // tx hash → messages not in a block yet
	landed     map[string]bool      // tx hashes included with code 0
	failed     map[string]bool      // tx hashes included with a non-zero code
}

func (f *fakeTx) SubmitBatch(_ context.Context, s tx.Signer, msgs []sdk.Msg, o tx.Options) (tx.Submission, error) {
	if f.crash {
		return tx.Submission{}, context.Canceled
	}
	sub := tx.Submission{Kind: o.Kind, Signer: s.Address(), TimeoutHeight: o.TimeoutHeight}
	hash := fmt.Sprintf("TX%d", len(f.claims)+len(f.proofs))
	for i, m := range msgs {
		switch m := m.(type) {
		case *prooftypes.MsgCreateClaim:
			f.claims = append(f.claims, m)
		case *prooftypes.MsgSubmitProof:
			f.proofs = append(f.proofs, m)
		}
		if f.slow != "" {
			sub.Messages = append(sub.Messages, tx.MessageOutcome{Index: i, Status: f.slow, Reason: f.slowReason, TxHash: hash})
			continue
		}
		f.deliver(m)
		sub.Messages = append(sub.Messages, tx.MessageOutcome{Index: i, Status: tx.MessageIncluded, Height: 1})
	}
	if f.slow != "" {
		if f.pending == nil {
			f.pending = map[string][]sdk.Msg{}
		}
		f.pending[hash] = msgs
		return sub, fmt.Errorf("batch: 0 of %d messages included", len(msgs))
	}
	return sub, nil
}

// deliver applies m to the chain: a claim is stored; a proof leaves no trace but its tx (the
// chain deletes it in the EndBlocker, and the claim may be settled already).
func (f *fakeTx) deliver(m sdk.Msg) {
	if c, ok := m.(*prooftypes.MsgCreateClaim); ok {
		f.chain.mu.Lock()
		f.chain.claims[c.SessionHeader.SessionId+"/"+c.SupplierOperatorAddress] = StoredClaim(c.SupplierOperatorAddress, c.SessionHeader, c.RootHash)
		f.chain.mu.Unlock()
	}
}

// land includes every pending tx.
func (f *fakeTx) land() {
	if f.landed == nil {
		f.landed = map[string]bool{}
	}
	for h, msgs := range f.pending {
		for _, m := range msgs {
			f.deliver(m)
		}
		f.landed[h] = true
	}
	f.pending = nil
}

func (f *fakeTx) Lookup(_ context.Context, hash string) (tx.Result, bool, error) {
	if f.landed[hash] {
		return tx.Result{Hash: hash, Height: 1}, true, nil
	}
	if f.failed[hash] {
		return tx.Result{Hash: hash, Height: 1, Code: 1101, Codespace: "proof"}, true, nil
	}
	return tx.Result{}, false, nil
}

type testSigner struct{ addr string }

func (s testSigner) Address() string             { return s.addr }
func (s testSigner) PubKey() cryptotypes.PubKey  { return nil }
func (s testSigner) Sign([]byte) ([]byte, error) { return nil, errors.New("unused") }

type runnerRig struct {
	rdb   *redis.Client
	keys  transport.Keys
	store *StateStore
	fence leader.Fence
	chain *fakeChain
	trees *fakeTrees
	op    string
}

func newRunnerRig(t *testing.T) *runnerRig {
	srv := redistest.Start(t)
	rdb := srv.Client()
	t.Cleanup(func() { _ = rdb.Close() })
	keys := transport.MustKeys("test")
	op := testAddr(9)
	f, err := leader.TryAcquire(context.Background(), rdb, keys.SupplierLease(op), "replica-a", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	st, err := NewStateStore(rdb, keys, StateStoreConfig{BlockTime: time.Second, TTLSessions: 2, SubmissionsCap: 4})
	if err != nil {
		t.Fatal(err)
	}
	proof := prooftypes.DefaultParams()
	th := sdk.NewInt64Coin("upokt", 1) // every claim needs a proof
	proof.ProofRequirementThreshold = &th
	return &runnerRig{rdb: rdb, keys: keys, store: st, fence: f, op: op,
		chain: &fakeChain{shared: testSharedParams(10, 1, 1, 4, 0, 4), proof: proof, claims: map[string]*prooftypes.Claim{}},
		trees: &fakeTrees{tries: map[string]*smt.SMST{}, deleted: map[string]bool{}}}
}

func (g *runnerRig) runner(t *testing.T, gate *Gate, txs Submitter) *Runner {
	m, err := NewLifecycleMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRunner(RunnerConfig{Supplier: g.op, Signer: testSigner{g.op}}, g.fence, g.store, gate, g.trees, g.chain, txs, m, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return r
}

// mine accepts n relays of session id through the gate and inserts them in its tree.
func (g *runnerRig) mine(t *testing.T, gate *Gate, id string, n int) { g.mineAt(t, gate, id, 1, 10, n) }

// mineAt mines n relays of session id spanning [start, end].
func (g *runnerRig) mineAt(t *testing.T, gate *Gate, id string, start, end int64, n int) {
	h := testHeader(id, start, end)
	for i := range n {
		if !gate.Accept(SessionHeader{Supplier: g.op, Application: h.ApplicationAddress, ServiceID: h.ServiceId,
			SessionID: id, StartHeight: start, EndHeight: end}) {
			t.Fatalf("relay %d of %s refused", i, id)
		}
		bz := dehydratedRelay(t, g.op, h, i)
		k := sha256.Sum256(bz)
		if err := g.trees.tree(id).Update(k[:], bz, testCUPR); err != nil {
			t.Fatal(err)
		}
	}
}

func states(r *Runner) string {
	s := ""
	for _, rec := range r.Sessions() {
		s += fmt.Sprintf("%s:%s%s ", rec.Session.ID, rec.Session.State, map[bool]string{true: "/" + string(rec.Session.Reason), false: ""}[rec.Session.Reason != ""])
	}
	return s
}

func step(t *testing.T, r *Runner, h int64) {
	t.Helper()
	if err := block(r, h); err != nil {
		t.Fatalf("height %d: %v", h, err)
	}
}

// block runs OnBlock at h, then waits for the sends it started and applies their outcomes as
// the next block would, so a test sees each block's sends decided.
func block(r *Runner, h int64) error {
	return errors.Join(r.OnBlock(context.Background(), h, nil), settle(r, h))
}

// settle waits for every running send and applies its outcome at h.
func settle(r *Runner, h int64) error {
	var errs []error
	for len(r.sends) > 0 {
		errs = append(errs, r.finish(context.Background(), h, <-r.results))
	}
	return errors.Join(errs...)
}

func TestRunnerClaimsProvesAndSettles(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, leaks) })
	g := newRunnerRig(t)
	gate := NewGate()
	txs := &fakeTx{chain: g.chain}
	r := g.runner(t, gate, txs)
	g.mine(t, gate, "aa", 5)
	g.mine(t, gate, "bb", 2)
	gate.Accept(SessionHeader{Supplier: g.op, Application: testAddr(1), ServiceID: "anvil", SessionID: "cc", StartHeight: 1, EndHeight: 10})
	for _, h := range []int64{5, 10, 11} {
		step(t, r, h)
	}
	if got := states(r); got != "aa:active bb:active cc:active " {
		t.Fatalf("before the claim window: %s", got)
	}
	step(t, r, 12)
	if got := states(r); got != "aa:claimed bb:claimed cc:skipped/empty_tree " {
		t.Fatalf("claim window: %s", got)
	}
	if len(txs.claims) != 2 {
		t.Fatalf("%d claims sent, want 2 in one tx", len(txs.claims))
	}
	if gate.Accept(SessionHeader{Supplier: g.op, SessionID: "aa", EndHeight: 10}) {
		t.Fatal("a sealed session accepted a relay")
	}
	step(t, r, 16) // proof window opens; threshold 1 upokt: every proof required
	if got := states(r); got != "aa:proved bb:proved cc:skipped/empty_tree " {
		t.Fatalf("proof window: %s", got)
	}
	seed, _ := g.chain.BlockHash(context.Background(), 15)
	for _, p := range txs.proofs {
		root := g.chain.claims[p.SessionHeader.SessionId+"/"+g.op].RootHash
		checkProofLikeChain(t, p.Proof, seed, p.SessionHeader, g.op, root)
	}
	step(t, r, 20)
	if got := states(r); got != "aa:settled bb:settled cc:skipped/empty_tree " {
		t.Fatalf("settlement: %s", got)
	}
	if !g.trees.deleted["aa"] || !g.trees.deleted["bb"] || !g.trees.deleted["cc"] {
		t.Fatalf("trees not deleted: %v", g.trees.deleted)
	}
	subs, err := g.store.Submissions(context.Background(), g.op, 10)
	if err != nil || len(subs) != 2 || subs[0].Kind != tx.KindProof || subs[1].Kind != tx.KindClaim {
		t.Fatalf("submissions = %+v, %v", subs, err)
	}
	r.Close()
}

// A replica persisted "claim in flight" and died; the claim did land. The new owner looks it up
// and never sends it again.
func TestRunnerFailoverMidClaimDoesNotResend(t *testing.T) {
	g := newRunnerRig(t)
	gateA := NewGate()
	a := g.runner(t, gateA, &fakeTx{chain: g.chain, crash: true})
	g.mine(t, gateA, "aa", 4)
	step(t, a, 10)
	if err := block(a, 12); err == nil {
		t.Fatal("crashed send reported no error")
	}
	if rec := a.Sessions()[0]; !rec.Session.InFlight || rec.Session.State != StateClaiming {
		t.Fatalf("after the crash: %+v", rec.Session)
	}
	// The claim landed anyway.
	root, _ := g.trees.Root(context.Background(), "aa")
	g.chain.claims["aa/"+g.op] = StoredClaim(g.op, testHeader("aa", 1, 10), root)

	txB := &fakeTx{chain: g.chain}
	gateB := NewGate()
	b := g.runner(t, gateB, txB)
	if gateB.Accept(SessionHeader{Supplier: g.op, SessionID: "aa", EndHeight: 10}) {
		t.Fatal("new owner's gate accepted a relay of a sealed session")
	}
	step(t, b, 13)
	if len(txB.claims) != 0 {
		t.Fatalf("new owner re-sent %d claims", len(txB.claims))
	}
	if got := states(b); got != "aa:claimed " {
		t.Fatalf("new owner: %s", got)
	}
}

// Without the claim on chain, the new owner sends it (once).
func TestRunnerFailoverResendsMissingClaim(t *testing.T) {
	g := newRunnerRig(t)
	gateA := NewGate()
	a := g.runner(t, gateA, &fakeTx{chain: g.chain, crash: true})
	g.mine(t, gateA, "aa", 4)
	step(t, a, 10)
	_ = block(a, 12)
	txB := &fakeTx{chain: g.chain}
	b := g.runner(t, NewGate(), txB)
	step(t, b, 13)
	if len(txB.claims) != 1 || states(b) != "aa:claimed " {
		t.Fatalf("claims %d, states %s", len(txB.claims), states(b))
	}
}

func TestStateStoreRoundTripTTLsAndCap(t *testing.T) {
	g := newRunnerRig(t)
	ctx := context.Background()
	w, err := NewWindows(g.chain.shared, 10, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := NewSession("aa").BeginClaim(12)
	s.State, s.Root, s.Error, s.TxHash = StateClaiming, testRoot(30, 10), "boom", "ABC123"
	recs := []Record{
		{Supplier: g.op, Header: testHeader("aa", 1, 10), Windows: w, Session: s},
		{Supplier: g.op, Header: testHeader("bb", 11, 20), Session: NewSession("bb")},
	}
	if err := g.store.Save(ctx, g.fence, 12, recs...); err != nil {
		t.Fatal(err)
	}
	got, expired, err := g.store.Load(ctx, g.op)
	if err != nil || len(expired) != 0 || len(got) != 2 {
		t.Fatalf("load: %v %v %d", err, expired, len(got))
	}
	for i := range recs {
		if !sameSession(got[i].Session, recs[i].Session) || got[i].Windows != recs[i].Windows || *got[i].Header != *recs[i].Header {
			t.Errorf("record %d: got %+v, want %+v", i, got[i], recs[i])
		}
	}
	for i := range 10 {
		if err := g.store.AppendSubmission(ctx, g.fence, g.op, tx.Submission{Kind: tx.KindClaim, Signer: fmt.Sprint(i)}, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if n := g.rdb.LLen(ctx, g.keys.Submissions(g.op)).Val(); n != 4 {
		t.Fatalf("submissions list has %d entries, want the cap 4", n)
	}
	// Every key of the supplier except its lease and fence counter has a TTL.
	keys := g.rdb.Keys(ctx, g.keys.Prefix()+"*").Val()
	for _, k := range keys {
		if k == g.keys.SupplierLease(g.op) || k == g.keys.FencingCounter(g.keys.SupplierLease(g.op)) {
			continue
		}
		if ttl := g.rdb.TTL(ctx, k).Val(); ttl <= 0 {
			t.Errorf("key %s has no TTL (%v)", k, ttl)
		}
	}
	// aa settles at 20: TTL = (20 − 12 + 2 × 10) blocks of 1s.
	if ttl := g.rdb.TTL(ctx, g.keys.Session(g.op, "aa")).Val(); ttl != 28*time.Second {
		t.Errorf("session TTL %v, want 28s", ttl)
	}
	// A replica that lost the lease writes nothing.
	stale := g.fence
	stale.Value = "replica-b#99"
	if err := g.store.Save(ctx, stale, 13, recs[0]); !errors.Is(err, leader.ErrLeaseLost) {
		t.Fatalf("save with a stale fence: %v", err)
	}
}
