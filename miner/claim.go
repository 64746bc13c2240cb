package miner

import (
	"fmt"

	prooftypes "github.com/pokt-network/poktroll/x/proof/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	"github.com/pokt-network/smt"
)

// ClaimMsg builds the MsgCreateClaim of one session: the operator, the exact on-chain session
// header taken from the relays, and the 48-byte sealed root (PROTOCOL.md §6.4). It refuses what
// the chain would refuse in ValidateBasic and the root checks (§6.5 1–2).
func ClaimMsg(operator string, h *sessiontypes.SessionHeader, root []byte) (*prooftypes.MsgCreateClaim, error) {
	if err := checkClaimRoot(root); err != nil {
		return nil, fmt.Errorf("claim for session %s: %w", h.GetSessionId(), err)
	}
	if h == nil {
		return nil, fmt.Errorf("claim of %s: no session header", operator)
	}
	return &prooftypes.MsgCreateClaim{
		SupplierOperatorAddress: operator,
		SessionHeader:           h,
		RootHash:                append([]byte(nil), root...),
	}, nil
}

// StoredClaim is the claim as the chain stores it once the MsgCreateClaim is delivered
// (validation status PENDING_VALIDATION): the input of the proof requirement.
func StoredClaim(operator string, h *sessiontypes.SessionHeader, root []byte) *prooftypes.Claim {
	return &prooftypes.Claim{
		SupplierOperatorAddress: operator,
		SessionHeader:           h,
		RootHash:                root,
		ProofValidationStatus:   prooftypes.ClaimProofStatus_PENDING_VALIDATION,
	}
}

// checkClaimRoot checks a claim root's length and that it has a relay and compute units.
func checkClaimRoot(root []byte) error {
	if len(root) != claimRootLen {
		return fmt.Errorf("root is %d bytes, want %d", len(root), claimRootLen)
	}
	r := smt.MerkleSumRoot(root)
	if r.MustCount() == 0 || r.MustSum() == 0 {
		return fmt.Errorf("root has count %d and sum %d, want both > 0", r.MustCount(), r.MustSum())
	}
	return nil
}

// rootCounts returns the relay count and compute-unit sum of a 48-byte root (0, 0 otherwise).
func rootCounts(root []byte) (count, sum uint64) {
	if len(root) != claimRootLen {
		return 0, 0
	}
	r := smt.MerkleSumRoot(root)
	return r.MustCount(), r.MustSum()
}
