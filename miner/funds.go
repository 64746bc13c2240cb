package miner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Gas estimates of one message, measured on a poktroll v0.1.35 localnet (LOCALNET.md): a
// MsgCreateClaim uses about 96k gas and a MsgSubmitProof about 212k (a proof of a deeper tree
// is a little larger). The tx client simulates the real gas and multiplies it by
// tx.gas_adjustment; the estimate is scaled the same way. poktroll's relay miner uses a flat
// 2upokt for both instead (pkg/relayer/session/claim.go, ClaimAndProofGasCost).
const (
	ClaimGasEstimate uint64 = 96_000
	ProofGasEstimate uint64 = 212_000
)

// FeeEstimate is the gas fee in upokt the operator pays for one claim and for one proof. The
// chain's proof_submission_fee comes on top of a proof's.
type FeeEstimate struct {
	ClaimUPOKT uint64
	ProofUPOKT uint64
}

// NewFeeEstimate prices ClaimGasEstimate and ProofGasEstimate as the tx client prices a tx
// (config tx.*): a fixed fee (fees) is paid per tx, whatever the gas; otherwise the gas is
// gasLimit when set, else the estimate × gasAdjustment, and the fee is ceil(gas × the upokt
// gas price). Other denoms are not upokt and do not count against the upokt balance.
func NewFeeEstimate(gasPrices, fees string, gasLimit uint64, gasAdjustment float64) (FeeEstimate, error) {
	if strings.TrimSpace(fees) != "" {
		c, err := sdk.ParseCoinsNormalized(fees)
		if err != nil {
			return FeeEstimate{}, fmt.Errorf("tx.fees: %w", err)
		}
		f := c.AmountOf(upokt)
		if !f.IsUint64() {
			return FeeEstimate{}, fmt.Errorf("tx.fees: %s is out of range", f)
		}
		return FeeEstimate{ClaimUPOKT: f.Uint64(), ProofUPOKT: f.Uint64()}, nil
	}
	if strings.TrimSpace(gasPrices) == "" {
		return FeeEstimate{}, nil
	}
	p, err := sdk.ParseDecCoins(gasPrices)
	if err != nil {
		return FeeEstimate{}, fmt.Errorf("tx.gas_prices: %w", err)
	}
	if gasAdjustment < 1 {
		gasAdjustment = 1
	}
	price := p.AmountOf(upokt)
	fee := func(estimate uint64) (uint64, error) {
		gas := gasLimit
		if gas == 0 {
			gas = uint64(math.Ceil(float64(estimate) * gasAdjustment))
		}
		amt := price.Mul(sdkmath.LegacyNewDecFromInt(sdkmath.NewIntFromUint64(gas))).Ceil().TruncateInt()
		if !amt.IsUint64() {
			return 0, fmt.Errorf("tx.gas_prices: a fee of %s upokt is out of range", amt)
		}
		return amt.Uint64(), nil
	}
	var e FeeEstimate
	if e.ClaimUPOKT, err = fee(ClaimGasEstimate); err != nil {
		return FeeEstimate{}, err
	}
	if e.ProofUPOKT, err = fee(ProofGasEstimate); err != nil {
		return FeeEstimate{}, err
	}
	return e, nil
}

// claimCosts are the upokt one session costs the operator from its claim on.
type claimCosts struct {
	claim uint64 // claim gas + proof gas + proof_submission_fee: paid for a session about to be claimed
	proof uint64 // proof gas + proof_submission_fee: still owed by a session claimed and not proved
}

func newClaimCosts(f FeeEstimate, proofSubmissionFee uint64) claimCosts {
	proof := satAdd(f.ProofUPOKT, proofSubmissionFee)
	return claimCosts{claim: satAdd(f.ClaimUPOKT, proof), proof: proof}
}

// payableClaims splits the sessions about to be claimed into those the operator can pay a
// claim and its proof for, and the rest, as poktroll's relay miner does
// (pkg/relayer/session/claim.go, payableProofsSessionTrees): most rewarding first (largest
// compute-unit sum of the root; ties by session id, for a stable order), each affordable one
// deducted from the running balance. Every session is charged its proof, required or not: the
// requirement is only known once the claim is on chain. reserved is already owed by proofs
// of sessions claimed earlier and is not spent twice.
func payableClaims(recs []*Record, balance, reserved uint64, c claimCosts) (pay, poor []*Record) {
	sorted := slices.Clone(recs)
	slices.SortStableFunc(sorted, func(a, b *Record) int {
		_, sa := rootCounts(a.Session.Root)
		_, sb := rootCounts(b.Session.Root)
		switch {
		case sa > sb:
			return -1
		case sa < sb:
			return 1
		}
		return strings.Compare(a.Session.ID, b.Session.ID)
	})
	left := satSub(balance, reserved)
	for _, rec := range sorted {
		if left >= c.claim {
			left -= c.claim
			pay = append(pay, rec)
			continue
		}
		poor = append(poor, rec)
	}
	return pay, poor
}

// owesProof reports whether s may still send a proof whose fees are not yet paid: claimed
// (the requirement unknown or required), claim in flight, or proving without a proof in flight.
func owesProof(s Session) bool {
	switch s.State {
	case StateClaiming:
		return s.InFlight
	case StateClaimed:
		return s.Requirement != RequirementNotRequired
	case StateProving:
		return !s.InFlight
	}
	return false
}

// affordable returns the sessions of ready the operator can pay a claim and a proof for, and
// skips the others (insufficient_funds): a claim whose proof cannot be paid would end in a
// missing proof and a slash. With nothing to pay (no gas price, no proof fee) it reads
// nothing. On a query error nothing is skipped and nothing should be sent: the caller retries
// at the next block.
func (r *Runner) affordable(ctx context.Context, ready []*Record) ([]*Record, error) {
	if len(ready) == 0 {
		return nil, nil
	}
	pp, err := r.chain.ProofParams(ctx)
	if err != nil {
		return nil, fmt.Errorf("proof params: %w", err)
	}
	fee := uint64(0)
	if f := pp.GetProofSubmissionFee(); f != nil && f.Denom == upokt {
		if !f.Amount.IsUint64() {
			return nil, errors.New("proof params: proof_submission_fee out of range")
		}
		fee = f.Amount.Uint64()
	}
	costs := newClaimCosts(r.cfg.Fees, fee)
	if costs.claim == 0 {
		return ready, nil
	}
	bal, err := r.chain.Balance(ctx, r.cfg.Supplier, upokt)
	if err != nil {
		return nil, fmt.Errorf("operator balance: %w", err)
	}
	if !bal.Amount.IsUint64() {
		return nil, fmt.Errorf("operator balance %s out of range", bal)
	}
	reserved := uint64(0)
	for _, rec := range r.recs {
		if owesProof(rec.Session) {
			reserved = satAdd(reserved, costs.proof)
		}
	}
	pay, poor := payableClaims(ready, bal.Amount.Uint64(), reserved, costs)
	for _, rec := range poor {
		r.log.Warn().Str("session", rec.Session.ID).Uint64("balance_upokt", bal.Amount.Uint64()).
			Uint64("reserved_upokt", reserved).Uint64("claim_and_proof_upokt", costs.claim).
			Msg("operator cannot pay this claim and its proof; claim skipped (insufficient_funds)")
		r.apply(rec, rec.Session.OnInsufficientFunds())
	}
	out := ready[:0:0]
	for _, rec := range ready { // the group's order, not the payment order
		if slices.Contains(pay, rec) {
			out = append(out, rec)
		}
	}
	return out, nil
}

func satAdd(a, b uint64) uint64 {
	if a > math.MaxUint64-b {
		return math.MaxUint64
	}
	return a + b
}

func satSub(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}
