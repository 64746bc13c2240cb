package miner

import (
	"fmt"

	prooftypes "github.com/pokt-network/poktroll/x/proof/types"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
)

// claimRootLen is the length of a claim root: digest(32) || sum(8, BE) || count(8, BE).
const claimRootLen = 48

// Requirement is whether the chain will want a proof for a claim, and why (PROTOCOL.md §6.6).
type Requirement string

// Requirements.
const (
	RequirementUnknown       Requirement = ""              // not decided yet
	RequirementNotRequired   Requirement = "not_required"  // a proof would be refused (ErrProofNotRequired)
	RequirementThreshold     Requirement = "threshold"     // the claim is worth at least the threshold
	RequirementProbabilistic Requirement = "probabilistic" // the seeded sample fell under the probability
)

// Required reports whether a proof must be sent.
func (r Requirement) Required() bool {
	return r == RequirementThreshold || r == RequirementProbabilistic
}

// RequirementInput is what the chain's ProofRequirementForClaim reads.
type RequirementInput struct {
	// Claim as the chain stores it: operator, the message's session header, the root, and
	// proof_validation_status PENDING_VALIDATION. Its marshaled bytes seed the sample.
	Claim *prooftypes.Claim
	// Pricing is the shared params at the session START height (CUTTM, granularity).
	Pricing sharedtypes.Params
	// Difficulty is the service's relay mining difficulty at the session START height.
	Difficulty servicetypes.RelayMiningDifficulty
	// Proof is the proof module params in force when the proof is delivered.
	Proof prooftypes.Params
	// SeedBlockHash is the hash of block ProofOpen − 1 (Windows.SeedHeight), never another.
	SeedBlockHash []byte
}

// ProofRequirement decides the requirement exactly as the chain does, with the chain's own
// Claim methods: a proof is required when the claimed uPOKT reach the threshold, otherwise when
// the sample seeded by the claim hash and the seed block hash is ≤ the request probability.
func ProofRequirement(in RequirementInput) (Requirement, error) {
	if in.Claim == nil || in.Claim.GetSessionHeader() == nil {
		return RequirementUnknown, fmt.Errorf("proof requirement: claim without session header")
	}
	if len(in.SeedBlockHash) == 0 {
		return RequirementUnknown, fmt.Errorf("proof requirement for %s: no seed block hash", in.Claim.SessionHeader.SessionId)
	}
	claimed, err := in.Claim.GetClaimeduPOKT(in.Pricing, in.Difficulty)
	if err != nil {
		return RequirementUnknown, fmt.Errorf("proof requirement for %s: claimed upokt: %w", in.Claim.SessionHeader.SessionId, err)
	}
	if th := in.Proof.GetProofRequirementThreshold(); th != nil && claimed.Amount.GTE(th.Amount) {
		return RequirementThreshold, nil
	}
	sample, err := in.Claim.GetProofRequirementSampleValue(in.SeedBlockHash)
	if err != nil {
		return RequirementUnknown, fmt.Errorf("proof requirement for %s: sample: %w", in.Claim.SessionHeader.SessionId, err)
	}
	if sample <= in.Proof.GetProofRequestProbability() {
		return RequirementProbabilistic, nil
	}
	return RequirementNotRequired, nil
}

// ClaimedUPOKT is the claim's reward estimate the chain computes (PROTOCOL.md §6.6 step 1).
func ClaimedUPOKT(c *prooftypes.Claim, pricing sharedtypes.Params, d servicetypes.RelayMiningDifficulty) (uint64, error) {
	coin, err := c.GetClaimeduPOKT(pricing, d)
	if err != nil {
		return 0, fmt.Errorf("claimed upokt: %w", err)
	}
	if !coin.Amount.IsUint64() {
		return ^uint64(0), nil
	}
	return coin.Amount.Uint64(), nil
}
