//go:build e2e

package mainnet

import (
	"context"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shannon-ops/pocket-relay-miner/tilt/localnet"
)

// The tests of the shared chain, in the order they must run (see doc.go): the difficulty test
// comes last because it raises the service's difficulty for good.

// relaysPerSession is what the tests other than the difficulty test send per session: within
// the meter's budget even after the app's stake has shrunk, and all mined at base difficulty.
const relaysPerSession = 4

// TestUnstakeMidSession (issue 13 item 2): supplier2 serves two sessions and unstakes in the
// middle of the second. poktroll keeps it in that session; both sessions must still be claimed
// and proven (VALIDATED), and it must never be slashed for a missing proof. Each claim then
// settles, or (poktroll v0.1.35's own rule for a supplier whose services are gone at
// settlement time) is discarded by the chain, unpaid and unslashed.
func TestUnstakeMidSession(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	sup := chain.Accounts.Supplier2
	first := freshSession(t, ctx, chain)
	relayAll(t, ctx, chain, stack, sup.Address, relaysPerSession)
	second := freshSession(t, ctx, chain)
	relayAll(t, ctx, chain, stack, sup.Address, relaysPerSession)
	res, err := chain.UnstakeSupplier(ctx, sup)
	if err != nil {
		t.Fatal(err)
	}
	if res.Height > second.EndHeight {
		t.Fatalf("unstake landed at %d, after the session [%d,%d] it was meant to interrupt", res.Height, second.StartHeight, second.EndHeight)
	}
	t.Logf("supplier2 unstaked at height %d, in session [%d,%d]", res.Height, second.StartHeight, second.EndHeight)
	want := map[int64]int64{first.EndHeight: relaysPerSession, second.EndHeight: relaysPerSession}
	waitPublished(t, ctx, stack, sup.Address, want)
	per := published(t, ctx, stack, sup.Address, first.EndHeight, second.EndHeight)
	for _, end := range []int64{first.EndHeight, second.EndHeight} {
		st, err := chain.WaitForSettlement(ctx, sup.Address, end)
		switch {
		case err == nil:
			if st.NumRelays() != per[end] {
				t.Errorf("session ending at %d: settled %d relays, %d were published", end, st.NumRelays(), per[end])
			}
			t.Logf("session ending at %d: settled %d relays, %s", end, st.NumRelays(), st.Settled.Attrs["claimed_upokt"])
		case st.ClaimCreated != nil && st.ProofValidated() && st.Expired == nil:
			// poktroll v0.1.35 pays a claim from the supplier's services as they are at
			// settlement time (x/tokenomics/token_logic_module/distribution_supplier.go); once
			// the unstake took effect there are none and the chain discards the claim, unpaid
			// and unslashed. Our part, a claim and a VALIDATED proof, was done.
			t.Logf("session ending at %d: claim at %d, proof VALIDATED at %d, not settled by the chain (supplier unstaked)",
				end, st.ClaimCreated.Height, st.ProofChecked.Height)
		default:
			t.Errorf("session ending at %d (%d relays published): %v", end, per[end], err)
		}
	}
	last := chain.SessionAt(second.EndHeight).SettlementHeight(second.EndHeight)
	assertNoPenalty(t, ctx, chain, sup.Address, first.StartHeight, last)
}

// TestPoorOperatorSkipsClaim (issue 13 item 3): the poor operator can pay a claim's gas but not
// the proof's fee. As poktroll's relay miner does (pkg/relayer/session/claim.go: balance ≥
// proof_submission_fee + claim and proof gas), the claim must be skipped, never sent: a claim
// without its proof is slashed. The miner says why (reason insufficient_funds).
func TestPoorOperatorSkipsClaim(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	op := chain.Accounts.PoorOperator
	bal, err := chain.Balance(ctx, op.Address)
	if err != nil {
		t.Fatal(err)
	}
	if bal >= proofFee {
		t.Fatalf("precondition: the poor operator holds %d upokt, enough for the %d upokt proof fee", bal, proofFee)
	}
	s := freshSession(t, ctx, chain)
	relayAll(t, ctx, chain, stack, op.Address, relaysPerSession)
	waitPublished(t, ctx, stack, op.Address, map[int64]int64{s.EndHeight: relaysPerSession})
	last := chain.SessionAt(s.EndHeight).SettlementHeight(s.EndHeight)
	st, err := chain.WaitForSettlement(ctx, op.Address, s.EndHeight)
	switch {
	case isNoClaim(err):
	case err == nil:
		t.Errorf("a claim the operator cannot prove was created at %d and settled", st.ClaimCreated.Height)
	default:
		t.Errorf("a claim the operator cannot prove was sent: %v", err)
	}
	msgs, err := chain.ProofMsgs(ctx, s.EndHeight+1, last)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Supplier == op.Address {
			t.Errorf("%s for the session ending at %d in block %d (code %d): the miner should have skipped it", m.Type, m.SessionEnd, m.Height, m.Code)
		}
	}
	assertNoPenalty(t, ctx, chain, op.Address, s.StartHeight, last+2)
	after, err := chain.Balance(ctx, op.Address)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("poor operator balance %d -> %d upokt", bal, after)
	logBytes, _ := os.ReadFile(stack.miner.Log)
	if !strings.Contains(string(logBytes), "insufficient_funds") {
		t.Errorf("the miner log never names reason insufficient_funds")
	}
}

// TestSessionParamsChangeAtFutureHeight (issue 13 item 8): a governance change moves the claim
// and proof windows from the next session on (poktroll v0.1.35 x/shared records it at the next
// session start). The session under way keeps the old windows; the session after the change
// must be claimed and proven in the new ones, which do not overlap the old.
func TestSessionParamsChangeAtFutureHeight(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	sup := chain.Accounts.Supplier.Address
	before := freshSession(t, ctx, chain)
	old := chain.SessionAt(before.StartHeight)
	next := old
	next.ClaimWindowOpenOffset, next.ClaimWindowCloseOffset = 4, 2 // claims from end+5: after the old window's end+4
	next.ProofWindowOpenOffset, next.ProofWindowCloseOffset = 0, 2
	effective, err := chain.UpdateSessionParams(ctx, next)
	if err != nil {
		t.Fatal(err)
	}
	if effective != before.EndHeight+1 {
		t.Fatalf("the change takes effect at %d, want the next session start %d", effective, before.EndHeight+1)
	}
	relayAll(t, ctx, chain, stack, sup, relaysPerSession)
	after := freshSession(t, ctx, chain)
	if after.StartHeight != effective {
		t.Fatalf("session after the change starts at %d, want %d", after.StartHeight, effective)
	}
	relayAll(t, ctx, chain, stack, sup, relaysPerSession)
	want := map[int64]int64{before.EndHeight: relaysPerSession, after.EndHeight: relaysPerSession}
	waitPublished(t, ctx, stack, sup, want)
	per := published(t, ctx, stack, sup, before.EndHeight, after.EndHeight)
	got := settled(t, ctx, chain, sup, per)
	for end, st := range got {
		w := chain.SessionAt(end)
		if h := st.ClaimCreated.Height; h < w.ClaimWindowOpen(end) || h > w.ClaimWindowClose(end) {
			t.Errorf("session ending at %d: claim at %d, outside its window [%d,%d]", end, h, w.ClaimWindowOpen(end), w.ClaimWindowClose(end))
		}
		if st.ProofSubmitted == nil {
			continue
		}
		if h := st.ProofSubmitted.Height; h < w.ProofWindowOpen(end) || h > w.ProofWindowClose(end) {
			t.Errorf("session ending at %d: proof at %d, outside its window [%d,%d]", end, h, w.ProofWindowOpen(end), w.ProofWindowClose(end))
		}
	}
	last := chain.SessionAt(after.EndHeight).SettlementHeight(after.EndHeight)
	assertNoPenalty(t, ctx, chain, sup, before.StartHeight, last)
}

// minMultiplier is the difficulty the test waits for. The meter's checks (served ≤ budget,
// charged = served × cost) hold at any multiplier above 1. The chain's verdict needs more:
// settlement lets a lone claimer take stake / 2 pending sessions (poktroll's
// GetNumPendingSessions, no +1), 4.5× the meter's stake / 3 suppliers / 3 sessions, so a
// supplier serving multiplier × its budget is reported overserviced only above 4.5.
const minMultiplier = 4

// TestDifficultyAboveBase (issue 13 item 1): with the difficulty above base only a fraction of
// the relays is mined, and settlement pays each mined relay as multiplier relays. poktroll's
// relay miner charges the meter for every relay served, mined or not
// (pkg/relayer/proxy/sync.go: only failed or overserviced relays are reverted), so a supplier
// serves at most the app's budget for it and the claim is worth about that budget. The test
// sends 8× the budget in one session; the relayer must stop at the budget, the meter must hold
// the price of every relay served, and the chain must not report the app overserviced.
//
// The settled amount is (mined relays) × multiplier × cost, and which relays are mined is
// random, so it matches what the meter charged only on average: with a budget of b relays it
// is within a few multiplier × cost × √(b/multiplier) of it, not within one relay's cost. The
// exact checks are therefore on the meter (relays served, upokt charged) and on the chain's
// overservicing verdict.
func TestDifficultyAboveBase(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	sup := chain.Accounts.Supplier.Address
	if _, err := chain.UpdateParamUint64(ctx, "service", "target_num_relays", 1); err != nil {
		t.Fatal(err)
	}
	s, d := warmDifficulty(t, ctx)
	cost := chain.ComputeUnitsPerRelay * 42 // compute_units_to_tokens_multiplier / granularity = 42e6 / 1e6
	stake, err := chain.ApplicationStake(ctx, chain.Accounts.Application.Address)
	if err != nil {
		t.Fatal(err)
	}
	// The meter's budget (PROTOCOL.md §4.4): stake / num_suppliers_per_session / pending
	// sessions, with pending = ceil(Σ window offsets / session blocks) + 1.
	w := chain.SessionAt(s.StartHeight)
	pending := (w.ClaimWindowOpenOffset+w.ClaimWindowCloseOffset+w.ProofWindowOpenOffset+w.ProofWindowCloseOffset+w.NumBlocksPerSession-1)/w.NumBlocksPerSession + 1
	budget := stake / sharedSupplies / pending / cost
	t.Logf("session [%d,%d]: difficulty multiplier %s (EMA %d), app stake %d upokt, budget %d relays of %d upokt",
		s.StartHeight, s.EndHeight, d.Multiplier.FloatString(2), d.NumRelaysEma, stake, budget, cost)

	served := relay(t, ctx, chain, stack, sup, int(8*budget))
	charged, err := stack.meterCharged(ctx, sup, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	mined := published(t, ctx, stack, sup, s.EndHeight)[s.EndHeight]
	t.Logf("%d relays sent, %d served, %d mined; meter charged %d upokt", 8*budget, served, mined, charged)
	if uint64(served) > budget {
		t.Errorf("served %d relays, the app's budget is %d: unmined relays were refunded to the meter", served, budget)
	}
	if charged != uint64(served)*cost {
		t.Errorf("meter charged %d upokt for %d served relays, want %d", charged, served, uint64(served)*cost)
	}
	last := chain.SessionAt(s.EndHeight).SettlementHeight(s.EndHeight)
	st, err := chain.WaitForSettlement(ctx, sup, s.EndHeight)
	switch {
	case isNoClaim(err) && mined == 0:
		t.Logf("no relay mined, no claim")
	case err != nil:
		t.Errorf("session ending at %d: %v", s.EndHeight, err)
	default:
		if st.NumRelays() != mined {
			t.Errorf("settled %d relays, %d were mined", st.NumRelays(), mined)
		}
		claimed := upokt(t, st.Settled.Attrs["claimed_upokt"])
		t.Logf("settled %d upokt for %d mined relays (meter charged %d upokt)", claimed, mined, charged)
	}
	assertNoPenalty(t, ctx, chain, sup, s.StartHeight, last)
}

// warmDifficulty returns the next session whose difficulty multiplier is at least
// minMultiplier. Until there is one it sends a budget of relays to supplier1 and waits for
// their settlement: with target_num_relays 1 the multiplier follows the service's relay EMA,
// which each settlement moves.
func warmDifficulty(t *testing.T, ctx context.Context) (localnet.SessionInfo, localnet.Difficulty) {
	t.Helper()
	for range 3 {
		s := freshSession(t, ctx, chain)
		d, err := chain.RelayMiningDifficultyAt(ctx, chain.ServiceID, s.StartHeight)
		if err != nil {
			t.Fatal(err)
		}
		if d.Multiplier.Cmp(big.NewRat(minMultiplier, 1)) >= 0 {
			return s, d
		}
		t.Logf("session [%d,%d]: multiplier %s (EMA %d), warming up", s.StartHeight, s.EndHeight, d.Multiplier.FloatString(2), d.NumRelaysEma)
		relay(t, ctx, chain, stack, chain.Accounts.Supplier.Address, 10)
		if _, err := chain.WaitHeight(ctx, chain.SessionAt(s.EndHeight).SettlementHeight(s.EndHeight)+1); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatalf("the difficulty multiplier stayed below %d", minMultiplier)
	return localnet.SessionInfo{}, localnet.Difficulty{}
}
