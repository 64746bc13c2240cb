package miner

import (
	"context"
	"errors"
	"fmt"
	"slices"

	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	"github.com/pokt-network/poktroll/pkg/crypto/protocol"
	"github.com/pokt-network/poktroll/pkg/crypto/rings"
	apptypes "github.com/pokt-network/poktroll/x/application/types"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	"github.com/pokt-network/smt"

	"github.com/shannon-ops/pocket-relay-miner/relayer/ring"
)

// The relayer checks ring signatures with its own fast implementation (relayer/ring); the
// chain checks the relay inside a proof with ring-go. Before a proof is sent, the relay it
// proves is verified once more with ring-go, as the chain will (poktroll v0.1.35
// x/proof/keeper/proof_validation.go → pkg/crypto/rings VerifyRelayRequestSignature).
//
// What a rejection does: the proof is not sent. The claim is lost either way (its root is on
// chain and the relay cannot be taken out of it), and the chain slashes a supplier the same for
// an invalid proof as for a missing one, but a sent proof also pays proof_submission_fee and
// gas. Not sending is also the only way to recover when the rejection came from a transient
// view of the application: the attempt counts as failed and is retried at every block while
// the proof window is open, each time with the application reloaded from the chain. When the
// ring cannot be built at all (chain unreachable, a member without a public key), the proof is
// sent unchecked: not sending guarantees the slash, sending very likely avoids it.

// ErrProofRelayRejected: ring-go rejects the signature of the relay a proof would carry.
var ErrProofRelayRejected = errors.New("ring-go rejects the relay request signature in the proof")

// outcomeRingRejected counts proofs not sent because ErrProofRelayRejected (proofs_total).
const outcomeRingRejected = "ring_rejected"

// RingSource is what the proof check reads to build the application's ring (cache.Chain has
// both methods). A lifecycle Chain without them (test fakes) sends proofs unchecked.
type RingSource interface {
	ReloadApplication(ctx context.Context, address string) (*apptypes.Application, error)
	AccountPubKey(ctx context.Context, address string) (cryptotypes.PubKey, error)
}

func ringSourceOf(c Chain) (RingSource, bool) {
	if a, ok := c.(chainAdapter); ok {
		rs, ok := a.ChainCache.(RingSource)
		return rs, ok
	}
	rs, ok := c.(RingSource)
	return rs, ok
}

// checkProofRelay verifies the relay inside proofBz with ring-go before the proof is sent.
func (r *Runner) checkProofRelay(ctx context.Context, sessionID string, proofBz []byte) error {
	src, ok := ringSourceOf(r.chain)
	if !ok {
		return nil
	}
	err := VerifyProofRelay(ctx, src, proofBz)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrProofRelayRejected):
		r.m.proofs.WithLabelValues(r.cfg.Supplier, outcomeRingRejected).Inc()
		r.log.Error().Err(err).Str("supplier", r.cfg.Supplier).Str("session", sessionID).
			Msg("proof not sent: the chain would reject the relay it proves")
		return fmt.Errorf("proof for session %s: %w", sessionID, err)
	default:
		r.log.Warn().Err(err).Str("supplier", r.cfg.Supplier).Str("session", sessionID).
			Msg("proof relay not checked with ring-go; sending it anyway")
		return nil
	}
}

// VerifyProofRelay decodes the relay a MsgSubmitProof's proof carries and verifies its request
// signature with ring-go against the application's ring at the session end height, as the
// chain does: ring members from the application reloaded now (delegations, pending
// undelegations at or after the session end, the placeholder key when there are none), every
// key embedded in the signature a member, then RingSig.Verify over the signable bytes hash.
// A rejection wraps ErrProofRelayRejected; any other error means the check could not be made.
func VerifyProofRelay(ctx context.Context, src RingSource, proofBz []byte) error {
	relay, err := proofRelay(proofBz)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrProofRelayRejected, err)
	}
	req := relay.GetReq()
	if req == nil {
		return fmt.Errorf("%w: relay without a request", ErrProofRelayRejected)
	}
	h := req.Meta.SessionHeader
	if h == nil {
		return fmt.Errorf("%w: relay request without a session header", ErrProofRelayRejected)
	}
	if err := h.ValidateBasic(); err != nil {
		return fmt.Errorf("%w: session header: %w", ErrProofRelayRejected, err)
	}
	members, err := expectedRing(ctx, src, h.ApplicationAddress, h.SessionEndBlockHeight)
	if err != nil {
		return err
	}
	hash, err := req.GetSignableBytesHash()
	if err != nil {
		return fmt.Errorf("%w: signable bytes: %w", ErrProofRelayRejected, err)
	}
	// The relayer's ring-go reference check, the one its run-time recheck uses.
	if err := ring.VerifyReference(members, hash, req.Meta.Signature); err != nil {
		if errors.Is(err, ring.ErrReferenceRejected) {
			return fmt.Errorf("%w: %w", ErrProofRelayRejected, err)
		}
		return err
	}
	return nil
}

// proofRelay is the relay in a compact closest proof, read as the chain reads it.
func proofRelay(proofBz []byte) (*servicetypes.Relay, error) {
	spec := protocol.NewSMTSpec()
	compact := &smt.SparseCompactMerkleClosestProof{}
	if err := compact.Unmarshal(proofBz); err != nil {
		return nil, fmt.Errorf("decode proof: %w", err)
	}
	proof, err := smt.DecompactClosestProof(compact, spec)
	if err != nil {
		return nil, fmt.Errorf("decompact proof: %w", err)
	}
	relay := &servicetypes.Relay{}
	if err := relay.Unmarshal(proof.GetValueHash(spec)); err != nil {
		return nil, fmt.Errorf("decode relay: %w", err)
	}
	return relay, nil
}

// expectedRing returns the 33-byte keys of app's ring at session end height end (PROTOCOL.md
// §3.1) with poktroll's pure helper.
func expectedRing(ctx context.Context, src RingSource, appAddr string, end int64) ([][]byte, error) {
	app, err := src.ReloadApplication(ctx, appAddr)
	if err != nil {
		return nil, fmt.Errorf("application %s: %w", appAddr, err)
	}
	view := *app // the helper appends to the delegatee slice: never to the cached one
	view.DelegateeGatewayAddresses = slices.Clip(app.DelegateeGatewayAddresses)
	gateways := rings.GetRingAddressesAtSessionEndHeight(&view, uint64(end))
	keys := make([][]byte, 0, len(gateways)+2)
	if len(gateways) == 0 {
		keys = append(keys, rings.PlaceholderRingPubKey.Bytes())
	}
	for _, a := range append([]string{appAddr}, gateways...) {
		pk, err := src.AccountPubKey(ctx, a)
		if err != nil {
			return nil, fmt.Errorf("public key of %s: %w", a, err)
		}
		keys = append(keys, pk.Bytes())
	}
	return keys, nil
}
