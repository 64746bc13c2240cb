package miner

import (
	"bytes"
	"context"
	"errors"

	"fmt"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/shannon-ops/pocket-relay-miner/tx"

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

// seal stops the session's relays and records its root, or skips it (PROTOCOL.md §6.5). The
// tree source closes the session to relays as it hands the tree over, after applying what the
// stream still holds (Consumer.Seal); the gate is closed here too for sources that do not.
func (r *Runner) seal(ctx context.Context, rec *Record) error {
	root, err := r.trees.Root(ctx, rec.Session.ID)
	if err != nil {
		return fmt.Errorf("read root: %w", err)
	}
	r.gate.seal(r.cfg.Supplier, rec.Session.ID)
	h := rec.Header
	cupr, err := r.chain.CUPRAt(ctx, h.ServiceId, h.SessionStartBlockHeight)
	if err != nil {
		return fmt.Errorf("compute units per relay at %d: %w", h.SessionStartBlockHeight, err)
	}
	unprofitable := false
	if count, _ := rootCounts(root); r.cfg.MinClaimUPOKT > 0 && count > 0 {
		reward, err := r.estimateReward(ctx, rec, root)
		if err != nil {
			return err
		}
		unprofitable = reward < r.cfg.MinClaimUPOKT
	}
	r.apply(rec, rec.Session.OnSealed(Seal{Root: root, CUPR: cupr, Unprofitable: unprofitable}))
	return nil
}

// estimateReward is the claim's claimed uPOKT with pricing and difficulty at the session start.
func (r *Runner) estimateReward(ctx context.Context, rec *Record, root []byte) (uint64, error) {
	h := rec.Header
	pricing, err := r.chain.SharedParamsAt(ctx, h.SessionStartBlockHeight)
	if err != nil {
		return 0, fmt.Errorf("shared params at %d: %w", h.SessionStartBlockHeight, err)
	}
	d, err := r.chain.DifficultyAt(ctx, h.ServiceId, h.SessionStartBlockHeight)
	if err != nil {
		return 0, fmt.Errorf("difficulty at %d: %w", h.SessionStartBlockHeight, err)
	}
	return ClaimedUPOKT(StoredClaim(r.cfg.Supplier, h, root), *pricing, *d)
}

// checkClaim decides a claim whose send outcome is unknown (a slow tx, a lost answer, a
// takeover) from the chain instead of sending it again: its tx by hash, then the claim itself.
// Not found while its tx may still land (the chain is below the claim window close, its
// timeout height) leaves it in flight; only then is it free to be sent again.
func (r *Runner) checkClaim(ctx context.Context, height int64, rec *Record) error {
	s := rec.Session
	tf, err := r.lookupTx(ctx, s.TxHash)
	if err != nil {
		return err
	}
	c, err := r.chain.Claim(ctx, s.ID, r.cfg.Supplier)
	if err != nil && tf != txLanded {
		return fmt.Errorf("look up claim: %w", err)
	}
	var root []byte
	switch {
	case c != nil:
		root = c.RootHash
		if s.Root != nil && !bytes.Equal(root, s.Root) {
			r.log.Warn().Str("session", s.ID).Msg("claim on chain has another root than the sealed one; adopting it")
		}
	case tf == txLanded:
		root = s.Root // delivered with code 0: the claim is the sealed root (it may be settled already)
	case tf == txNotFound && s.TxHash != "" && height < rec.Windows.ClaimClose:
		r.log.Debug().Str("session", s.ID).Str("tx", s.TxHash).Int64("height", height).Msg("claim tx not found yet; still pending")
		return nil
	}
	// Otherwise nothing of this send is on chain, and nothing of it can land any more (failed
	// in its block, or the chain reached its timeout height), or its tx was never known (the
	// sender stopped before the broadcast answered): it may be sent again.
	next := s.OnClaimLookup(root)
	if next.State == StateClaimed && rec.Session.State != StateClaimed {
		r.countClaimed(next.Root)
	}
	r.apply(rec, next)
	return nil
}

// submitClaims starts one tx with one MsgCreateClaim per session of a group (one end height),
// timing out at the claim window close, and returns without waiting for it (startSend). Every
// session's send is persisted before the tx. While the group's previous claim send runs, its
// sessions wait.
func (r *Runner) submitClaims(ctx context.Context, height int64, group []*Record) error {
	key := sendKey{kind: tx.KindClaim, end: group[0].Header.SessionEndBlockHeight}
	if r.busy(key) {
		return nil // retried at the next block, once the running send is collected
	}
	var (
		msgs  []sdk.Msg
		sent  []*Record
		ready []*Record
		errs  []error
	)
	for _, rec := range group {
		if err := r.reseal(ctx, rec); err != nil {
			errs = append(errs, err)
			continue
		}
		if rec.Session.State != StateClaiming || rec.Session.Root == nil {
			continue // skipped on reseal
		}
		ready = append(ready, rec)
	}
	ready, err := r.affordable(ctx, ready)
	if err != nil {
		return errors.Join(append(errs, err)...) // nothing sent: retried at the next block
	}
	for _, rec := range ready {
		msg, err := ClaimMsg(r.cfg.Supplier, rec.Header, rec.Session.Root)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r.apply(rec, rec.Session.BeginClaim(height))
		msgs, sent = append(msgs, msg), append(sent, rec)
	}
	if len(msgs) == 0 {
		return errors.Join(errs...)
	}
	if err := r.save(ctx, height, sent); err != nil { // before: a new owner will look it up
		return err
	}
	w := sent[0].Windows
	r.startSend(ctx, key, sessionIDs(sent), msgs, tx.Options{Kind: tx.KindClaim, TimeoutHeight: w.ClaimClose}, w)
	return errors.Join(errs...)
}

func sessionIDs(recs []*Record) []string {
	out := make([]string, len(recs))
	for i, rec := range recs {
		out[i] = rec.Session.ID
	}
	return out
}

// reseal re-reads the root of a session never sent yet: a batch accepted just before the seal
// may have committed after it, and the claim must cover the tree the proof will be built from.
func (r *Runner) reseal(ctx context.Context, rec *Record) error {
	if rec.Session.ClaimAttempts > 0 || rec.Session.State != StateClaiming {
		return nil
	}
	root, err := r.trees.Root(ctx, rec.Session.ID)
	if err != nil {
		return fmt.Errorf("session %s: read root: %w", rec.Session.ID, err)
	}
	if bytes.Equal(root, rec.Session.Root) {
		return nil
	}
	s := rec.Session
	s.Root = nil
	cupr, err := r.chain.CUPRAt(ctx, rec.Header.ServiceId, rec.Header.SessionStartBlockHeight)
	if err != nil {
		return fmt.Errorf("session %s: compute units per relay: %w", rec.Session.ID, err)
	}
	r.apply(rec, s.OnSealed(Seal{Root: root, CUPR: cupr}))
	return nil
}

func (r *Runner) countClaimed(root []byte) {
	count, sum := rootCounts(root)
	r.m.relays.WithLabelValues(r.cfg.Supplier).Add(float64(count))
	r.m.computeUnits.WithLabelValues(r.cfg.Supplier).Add(float64(sum))
}
