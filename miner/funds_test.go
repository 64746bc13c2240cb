package miner

import (
	"context"
	"slices"
	"testing"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	prooftypes "github.com/pokt-network/poktroll/x/proof/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/query"
	"github.com/shannon-ops/pocket-relay-miner/query/querytest"
)

func TestNewFeeEstimate(t *testing.T) {
	cases := []struct {
		name         string
		prices, fees string
		limit        uint64
		adjust       float64
		claim, proof uint64
		wantErr      bool
	}{
		{name: "zero price", prices: "0upokt", adjust: 1.5},
		{name: "price × estimate × adjustment, rounded up", prices: "0.001upokt", adjust: 1.5, claim: 144, proof: 318},
		{name: "fractional fee rounds up", prices: "0.0000001upokt", adjust: 1, claim: 1, proof: 1},
		{name: "fixed gas limit wins over the estimate", prices: "0.01upokt", limit: 500_000, adjust: 1.5, claim: 5000, proof: 5000},
		{name: "fixed fee per tx wins over prices", prices: "1upokt", fees: "700upokt", adjust: 1.5, claim: 700, proof: 700},
		{name: "other denoms do not count", prices: "5stake", adjust: 1},
		{name: "bad price", prices: "upokt", adjust: 1, wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := NewFeeEstimate(c.prices, c.fees, c.limit, c.adjust)
			if c.wantErr {
				if err == nil {
					t.Fatalf("accepted: %+v", got)
				}
				return
			}
			if err != nil || got != (FeeEstimate{ClaimUPOKT: c.claim, ProofUPOKT: c.proof}) {
				t.Fatalf("got %+v, %v; want claim %d proof %d", got, err, c.claim, c.proof)
			}
		})
	}
}

// payableClaims follows poktroll's payableProofsSessionTrees: most rewarding (largest sum)
// first, each paid claim and proof deducted from the running balance, the rest refused.
func TestPayableClaims(t *testing.T) {
	rec := func(id string, sum uint64) *Record {
		return &Record{Session: Session{ID: id, State: StateClaiming, Root: testRoot(sum, sum)}}
	}
	ids := func(recs []*Record) []string {
		var out []string
		for _, r := range recs {
			out = append(out, r.Session.ID)
		}
		return out
	}
	c := newClaimCosts(FeeEstimate{ClaimUPOKT: 10, ProofUPOKT: 20}, 1000) // 1030 to claim, 1020 owed per proof
	if c.claim != 1030 || c.proof != 1020 {
		t.Fatalf("costs %+v", c)
	}
	recs := []*Record{rec("a", 5), rec("b", 50), rec("c", 20), rec("d", 20)}
	cases := []struct {
		name              string
		balance, reserved uint64
		pay, poor         []string
	}{
		{"everything affordable", 4 * 1030, 0, []string{"b", "c", "d", "a"}, nil},
		{"one short: the least rewarding goes", 4*1030 - 1, 0, []string{"b", "c", "d"}, []string{"a"}},
		{"ties by session id", 2 * 1030, 0, []string{"b", "c"}, []string{"d", "a"}},
		{"proofs of earlier claims are not spent twice", 2*1030 + 1020, 1020, []string{"b", "c"}, []string{"d", "a"}},
		{"reserved above the balance", 1000, 5000, nil, []string{"b", "c", "d", "a"}},
		{"broke", 0, 0, nil, []string{"b", "c", "d", "a"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pay, poor := payableClaims(recs, tc.balance, tc.reserved, c)
			if !slices.Equal(ids(pay), tc.pay) || !slices.Equal(ids(poor), tc.poor) {
				t.Fatalf("pay %v poor %v, want %v %v", ids(pay), ids(poor), tc.pay, tc.poor)
			}
		})
	}
}

func TestOwesProofAndInsufficientFunds(t *testing.T) {
	owes := []struct {
		s    Session
		want bool
	}{
		{Session{State: StateClaiming}, false},
		{Session{State: StateClaiming, InFlight: true}, true},
		{Session{State: StateClaimed}, true},
		{Session{State: StateClaimed, Requirement: RequirementNotRequired}, false},
		{Session{State: StateProving}, true},
		{Session{State: StateProving, InFlight: true}, false},
		{Session{State: StateProved}, false},
		{Session{State: StateSkipped, Reason: ReasonProofNotRequired}, false},
	}
	for _, o := range owes {
		if got := owesProof(o.s); got != o.want {
			t.Errorf("owesProof(%s in_flight=%v req=%q) = %v", o.s.State, o.s.InFlight, o.s.Requirement, got)
		}
	}
	s := Session{ID: "x", State: StateClaiming, Root: testRoot(3, 1)}.OnInsufficientFunds()
	if s.State != StateSkipped || s.Reason != ReasonInsufficientFunds || !s.Final() {
		t.Fatalf("claiming → %+v", s)
	}
	inflight := Session{ID: "x", State: StateClaiming, InFlight: true}
	if got := inflight.OnInsufficientFunds(); !sameSession(got, inflight) {
		t.Fatalf("a claim in flight was skipped: %+v", got)
	}
}

// fundsChain reads the proof params and the operator's balance from a fake node over gRPC
// (query.Client against querytest); the rest comes from the rig's fakeChain.
type fundsChain struct {
	*fakeChain
	q *query.Client
}

func (c fundsChain) ProofParams(ctx context.Context) (*prooftypes.Params, error) {
	return c.q.ProofParams(ctx)
}

func (c fundsChain) Balance(ctx context.Context, addr, denom string) (sdk.Coin, error) {
	return c.q.Balance(ctx, addr, denom)
}

// The operator can pay one claim and its proof, not two: the more rewarding session is claimed
// and proved, the other is skipped (insufficient_funds) and never sent, its tree deleted.
func TestRunnerSkipsClaimsTheOperatorCannotProve(t *testing.T) {
	g := newRunnerRig(t)
	node := querytest.Start(t)
	q, err := query.New(query.Config{GRPCAddr: node.Addr, Insecure: true, BackoffBase: time.Millisecond, MaxRetries: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Close() })
	pp := g.chain.proof
	fee := sdk.NewInt64Coin("upokt", 1000)
	pp.ProofSubmissionFee = &fee
	node.SetProofParams(pp)
	fees := FeeEstimate{ClaimUPOKT: 10, ProofUPOKT: 20} // 1030 per claim and proof
	node.SetBalance(g.op, sdk.NewInt64Coin("upokt", 2*1030-1))

	m, err := NewLifecycleMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	gate := NewGate()
	txs := &fakeTx{chain: g.chain}
	r, err := NewRunner(RunnerConfig{Supplier: g.op, Signer: testSigner{g.op}, Fees: fees}, g.fence, g.store, gate, g.trees,
		fundsChain{fakeChain: g.chain, q: q}, txs, m, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	g.mine(t, gate, "aa", 2)
	g.mine(t, gate, "bb", 5) // more compute units: paid first although it sorts second
	for _, h := range []int64{10, 11, 12} {
		step(t, r, h)
	}
	if got := states(r); got != "aa:skipped/insufficient_funds bb:claimed " {
		t.Fatalf("claim window: %s", got)
	}
	if len(txs.claims) != 1 || txs.claims[0].SessionHeader.SessionId != "bb" {
		t.Fatalf("claims sent: %v", txs.claims)
	}
	if !g.trees.deleted["aa"] {
		t.Fatal("the skipped session's tree was kept")
	}
	if v := tcCounter(m.skipped.WithLabelValues(g.op, string(ReasonInsufficientFunds))); v != 1 {
		t.Fatalf("sessions_skipped_total{reason=insufficient_funds} = %v", v)
	}
	step(t, r, 16)
	if got := states(r); got != "aa:skipped/insufficient_funds bb:proved " || len(txs.proofs) != 1 {
		t.Fatalf("proof window: %s, %d proofs", got, len(txs.proofs))
	}
	// Persisted: a new owner finds the skip and sends nothing for aa either.
	recs, _, err := g.store.Load(context.Background(), g.op)
	if err != nil || len(recs) != 2 || recs[0].Session.Reason != ReasonInsufficientFunds {
		t.Fatalf("persisted: %+v, %v", recs, err)
	}
}
