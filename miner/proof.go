package miner

import (
	"errors"
	"fmt"

	"github.com/pokt-network/poktroll/pkg/crypto/protocol"
	prooftypes "github.com/pokt-network/poktroll/x/proof/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	"github.com/pokt-network/smt"
)

// ErrProofMismatch means the tree's closest proof does not verify against the claimed root: the
// tree changed after the claim was made (or the claim on chain came from another tree). Sending
// it would only fail on chain.
var ErrProofMismatch = errors.New("closest proof does not verify against the claim root")

// Prover is a sealed session tree.
type Prover interface {
	ProveClosest(path []byte) (*smt.SparseMerkleClosestProof, error)
}

// BuildProof returns the proof bytes of a MsgSubmitProof (PROTOCOL.md §6.7): the closest proof
// for path sha256(seedBlockHash || sessionID), compacted with the chain's spec and gob-encoded.
// It verifies the proof against claimRoot first, as the chain's EndBlocker will.
func BuildProof(p Prover, seedBlockHash []byte, sessionID string, claimRoot []byte) ([]byte, error) {
	if len(seedBlockHash) == 0 {
		return nil, fmt.Errorf("proof for session %s: no seed block hash", sessionID)
	}
	spec := protocol.NewSMTSpec()
	path := protocol.GetPathForProof(seedBlockHash, sessionID)
	proof, err := p.ProveClosest(path)
	if err != nil {
		return nil, fmt.Errorf("proof for session %s: %w", sessionID, err)
	}
	ok, err := smt.VerifyClosestProof(proof, claimRoot, spec)
	if err != nil {
		return nil, fmt.Errorf("proof for session %s: verify: %w", sessionID, err)
	}
	if !ok {
		return nil, fmt.Errorf("proof for session %s: %w", sessionID, ErrProofMismatch)
	}
	compact, err := smt.CompactClosestProof(proof, spec)
	if err != nil {
		return nil, fmt.Errorf("proof for session %s: compact: %w", sessionID, err)
	}
	bz, err := compact.Marshal()
	if err != nil {
		return nil, fmt.Errorf("proof for session %s: encode: %w", sessionID, err)
	}
	return bz, nil
}

// ProofMsg builds the MsgSubmitProof of one session.
func ProofMsg(operator string, h *sessiontypes.SessionHeader, proof []byte) *prooftypes.MsgSubmitProof {
	return &prooftypes.MsgSubmitProof{SupplierOperatorAddress: operator, SessionHeader: h, Proof: proof}
}
