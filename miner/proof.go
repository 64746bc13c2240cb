package miner

import (
	"context"
	"errors"
	"fmt"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/shannon-ops/pocket-relay-miner/tx"

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

// seedHash returns the hash of the block at height from the feed, or fetches it by height.
// Never another block's.
func (r *Runner) seedHash(ctx context.Context, height int64) ([]byte, error) {
	if h, ok := r.hashes[height]; ok {
		return h, nil
	}
	h, err := r.chain.BlockHash(ctx, height)
	if err != nil {
		return nil, fmt.Errorf("hash of seed block %d: %w", height, err)
	}
	if len(h) == 0 {
		return nil, fmt.Errorf("hash of seed block %d: empty", height)
	}
	r.hashes[height] = h
	return h, nil
}

// decideProof decides the proof requirement as the chain will (PROTOCOL.md §6.6).
func (r *Runner) decideProof(ctx context.Context, rec *Record) error {
	seed, err := r.seedHash(ctx, rec.Windows.SeedHeight())
	if err != nil {
		return err
	}
	h := rec.Header
	pricing, err := r.chain.SharedParamsAt(ctx, h.SessionStartBlockHeight)
	if err != nil {
		return fmt.Errorf("shared params at %d: %w", h.SessionStartBlockHeight, err)
	}
	d, err := r.chain.DifficultyAt(ctx, h.ServiceId, h.SessionStartBlockHeight)
	if err != nil {
		return fmt.Errorf("difficulty at %d: %w", h.SessionStartBlockHeight, err)
	}
	pp, err := r.chain.ProofParams(ctx)
	if err != nil {
		return fmt.Errorf("proof params: %w", err)
	}
	req, err := ProofRequirement(RequirementInput{Claim: StoredClaim(r.cfg.Supplier, h, rec.Session.Root),
		Pricing: *pricing, Difficulty: *d, Proof: *pp, SeedBlockHash: seed})
	if err != nil {
		return err
	}
	r.apply(rec, rec.Session.OnRequirement(req))
	return nil
}

// checkProof decides a proof whose send outcome is unknown from the chain, as checkClaim does.
// A proof cannot be queried once it landed: x/proof v0.1.35 validates and deletes every proof
// in the EndBlocker of the block it landed in (validate_proofs.go), setting its claim's
// proof_validation_status to VALIDATED or INVALID. So it landed when its tx is found with code
// 0, or when the claim's status left PENDING_VALIDATION; once the claim is settled (deleted)
// only the tx lookup tells.
func (r *Runner) checkProof(ctx context.Context, height int64, rec *Record) error {
	s := rec.Session
	tf, err := r.lookupTx(ctx, s.TxHash)
	if err != nil {
		return err
	}
	found := tf == txLanded
	if !found {
		c, err := r.chain.Claim(ctx, s.ID, r.cfg.Supplier)
		if err != nil {
			return fmt.Errorf("look up claim: %w", err)
		}
		found = c != nil && c.ProofValidationStatus != prooftypes.ClaimProofStatus_PENDING_VALIDATION
	}
	if !found && tf == txNotFound && s.TxHash != "" && height < rec.Windows.ProofClose {
		r.log.Debug().Str("session", s.ID).Str("tx", s.TxHash).Int64("height", height).Msg("proof tx not found yet; still pending")
		return nil
	}
	r.apply(rec, s.OnProofLookup(found))
	return nil
}

// submitProofs starts one tx with one MsgSubmitProof per required session of a group, timing
// out at the proof window close, without waiting for it (see submitClaims). Only sessions in
// state proving get here: a proof the chain does not require is never sent.
func (r *Runner) submitProofs(ctx context.Context, height int64, group []*Record) error {
	key := sendKey{kind: tx.KindProof, end: group[0].Header.SessionEndBlockHeight}
	if r.busy(key) {
		return nil
	}
	var (
		msgs []sdk.Msg
		sent []*Record
		errs []error
	)
	for _, rec := range group {
		if rec.Session.State != StateProving || !rec.Session.Requirement.Required() {
			continue
		}
		bz, err := r.buildProof(ctx, rec)
		if err != nil {
			// Counted as a failed attempt; retried at the next block while the window is open.
			r.apply(rec, rec.Session.BeginProof(height).OnProof(TxFailed, "", err.Error()))
			r.m.proofs.WithLabelValues(r.cfg.Supplier, outcomeFailed).Inc()
			errs = append(errs, fmt.Errorf("session %s: %w", rec.Session.ID, err))
			continue
		}
		r.apply(rec, rec.Session.BeginProof(height))
		msgs, sent = append(msgs, ProofMsg(r.cfg.Supplier, rec.Header, bz)), append(sent, rec)
	}
	if len(msgs) == 0 {
		return errors.Join(errs...)
	}
	if err := r.save(ctx, height, sent); err != nil {
		return err
	}
	w := sent[0].Windows
	r.startSend(ctx, key, sessionIDs(sent), msgs, tx.Options{Kind: tx.KindProof, TimeoutHeight: w.ProofClose}, w)
	return errors.Join(errs...)
}

func (r *Runner) buildProof(ctx context.Context, rec *Record) ([]byte, error) {
	seed, err := r.seedHash(ctx, rec.Windows.SeedHeight())
	if err != nil {
		return nil, err
	}
	p := proverFunc(func(path []byte) (*smt.SparseMerkleClosestProof, error) {
		return r.trees.ProveClosest(ctx, rec.Session.ID, path)
	})
	bz, err := BuildProof(p, seed, rec.Session.ID, rec.Session.Root)
	if err != nil {
		return nil, err
	}
	return bz, r.checkProofRelay(ctx, rec.Session.ID, bz) // proof_ring.go
}

type proverFunc func(path []byte) (*smt.SparseMerkleClosestProof, error)

func (f proverFunc) ProveClosest(path []byte) (*smt.SparseMerkleClosestProof, error) { return f(path) }
