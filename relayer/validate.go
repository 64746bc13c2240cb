package relayer

import (
	"context"
	"errors"

	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	"github.com/puzpuzpuz/xsync/v4"

	"github.com/shannon-ops/pocket-relay-miner/query"
	"github.com/shannon-ops/pocket-relay-miner/relayer/ring"
)

// sessionKey identifies a verified (session, supplier) pair.
type sessionKey struct{ id, supplier string }

// sessionEntry is what one full verification of a (session, supplier) established, so later
// relays of that session only need their ring signature checked. Read-only once stored.
type sessionEntry struct {
	header    sessiontypes.SessionHeader // the chain's header, equal to the verified request's
	graceEnd  int64                      // last height at which relays of the session are accepted
	claimOpen int64                      // first height at which served relays are no longer mined
	ring      *ring.Ring                 // the application's ring at the session end height
	cupr      uint64                     // compute units per relay at the session start
	target    []byte                     // relay mining difficulty target at the session start
}

// validator runs PROTOCOL §4.2 with everything cached: a relay of a verified session costs one
// map lookup, a header comparison and one ring verification; no chain query.
type validator struct {
	chain    Chain
	heights  Heights
	verifier *ring.Verifier
	sessions *xsync.Map[sessionKey, *sessionEntry]
	rings    *ringCache
	// verify is verifier.Verify; the handler-cost benchmark swaps it to measure the rest.
	verify func(r *ring.Ring, msg [32]byte, sig []byte) error
}

func newValidator(c Chain, h Heights, v *ring.Verifier) *validator {
	return &validator{
		chain: c, heights: h, verifier: v,
		sessions: xsync.NewMap[sessionKey, *sessionEntry](),
		rings:    newRingCache(c, v),
		verify:   v.Verify,
	}
}

// validate checks req completely. The supplier key was checked by the caller.
func (v *validator) validate(ctx context.Context, req *servicetypes.RelayRequest) (*sessionEntry, error) {
	if !heightKnown(v.heights) {
		return nil, reject(reasonNotReady, "no block height known yet")
	}
	cur := v.heights.Height()
	h := req.Meta.SessionHeader
	if e, ok := v.sessions.Load(sessionKey{h.SessionId, req.Meta.SupplierOperatorAddress}); ok && sameHeader(&e.header, h) {
		if cur > e.graceEnd {
			return nil, reject(reasonSessionExpired, "session ended at %d, grace period ended at %d, current height %d",
				h.SessionEndBlockHeight, e.graceEnd, cur)
		}
		return v.verifyRing(ctx, e, req, cur, true)
	}
	return v.validateSlow(ctx, req, cur)
}

// validateSlow is the first verification of a (session, supplier): timing, ring signature,
// session equality and supplier membership, in poktroll's order; then the entry is cached.
func (v *validator) validateSlow(ctx context.Context, req *servicetypes.RelayRequest, cur int64) (*sessionEntry, error) {
	h := req.Meta.SessionHeader
	start, end := h.SessionStartBlockHeight, h.SessionEndBlockHeight
	params, err := v.chain.SharedParamsAt(ctx, min(start, cur))
	if err != nil {
		return nil, chainError(reasonInvalidSession, "shared params", err)
	}
	// Our height can trail the client's (a block feed catching up, a miner that stopped
	// publishing blocks): a session up to one session length ahead is looked up on chain at its
	// own start height below, which fails unless the chain has reached it. Further is refused.
	if start > cur+int64(params.NumBlocksPerSession) {
		return nil, reject(reasonInvalidSession, "session starts at %d, more than a session after the current height %d", start, cur)
	}
	// Timing uses the params of the session itself, as the chain does (x/proof/keeper/session.go
	// asks at the session end height). Params change only at session starts, so those at the
	// start height are the same; for a session that starts after our height (the next one)
	// they can differ from ours when a change takes effect at that start. Asking at the start,
	// bounded just above, keeps a forged end height from sending us to the chain.
	if start > cur {
		if params, err = v.chain.SharedParamsAt(ctx, start); err != nil {
			return nil, chainError(reasonInvalidSession, "shared params", err)
		}
	}
	// A session that starts at the block after ours (the client saw it first) is looked up at
	// its own start height: asking at our height would return the previous session.
	queryHeight := max(cur, start)
	if end < cur {
		if sharedtypes.IsGracePeriodElapsed(params, end, cur) {
			return nil, reject(reasonSessionExpired, "session ended at %d, grace period ended at %d, current height %d",
				end, sharedtypes.GetSessionGracePeriodEndHeight(params, end), cur)
		}
		queryHeight = end
	}
	e := &sessionEntry{
		graceEnd:  sharedtypes.GetSessionGracePeriodEndHeight(params, end),
		claimOpen: sharedtypes.GetClaimWindowOpenHeight(params, end),
	}
	if e.ring, err = v.rings.get(ctx, h.ApplicationAddress, end, e.claimOpen); err != nil {
		return nil, err
	}
	if _, err := v.verifyRing(ctx, e, req, cur, false); err != nil {
		return nil, err
	}
	if err := v.checkSession(ctx, req, queryHeight, &e.header); err != nil {
		return nil, err
	}
	if err := v.miningParams(ctx, e); err != nil {
		return nil, err
	}
	v.sessions.Store(sessionKey{h.SessionId, req.Meta.SupplierOperatorAddress}, e)
	return e, nil
}

// checkSession compares every header field with the chain's session at queryHeight and
// checks the supplier is in it; it copies the chain's header into out.
func (v *validator) checkSession(ctx context.Context, req *servicetypes.RelayRequest, queryHeight int64, out *sessiontypes.SessionHeader) error {
	h := req.Meta.SessionHeader
	s, err := v.chain.Session(ctx, h.ApplicationAddress, h.ServiceId, queryHeight)
	if err != nil {
		return chainError(reasonInvalidSession, "session", err)
	}
	if s.Header == nil || !sameHeader(s.Header, h) {
		return reject(reasonInvalidSession, "session header differs from the chain's session at height %d", queryHeight)
	}
	for _, sup := range s.Suppliers {
		if sup.OperatorAddress == req.Meta.SupplierOperatorAddress {
			*out = *s.Header
			return nil
		}
	}
	return reject(reasonSupplierNotInSession, "supplier %s is not in session %s", req.Meta.SupplierOperatorAddress, h.SessionId)
}

// miningParams loads the compute units per relay and the difficulty target at the session
// start height (PROTOCOL §2.4, §5.3).
func (v *validator) miningParams(ctx context.Context, e *sessionEntry) error {
	svc, start := e.header.ServiceId, e.header.SessionStartBlockHeight
	cupr, err := v.chain.CUPRAt(ctx, svc, start)
	if err != nil {
		return chainError(reasonInvalidSession, "compute units per relay", err)
	}
	d, err := v.chain.DifficultyAt(ctx, svc, start)
	if err != nil {
		return chainError(reasonInvalidSession, "relay mining difficulty", err)
	}
	e.cupr, e.target = cupr, d.TargetHash
	return nil
}

// verifySignature checks the ring signature over the request's signable bytes hash.
func (v *validator) verifySignature(r *ring.Ring, req *servicetypes.RelayRequest) error {
	hash, err := req.GetSignableBytesHash()
	if err != nil {
		return rejectWrap(reasonMalformed, err)
	}
	if err := v.verify(r, hash, req.Meta.Signature); err != nil {
		return rejectWrap(reasonBadSignature, err)
	}
	return nil
}

// prune forgets sessions whose relays can no longer be mined and rings nobody can use.
func (v *validator) prune(cur int64) {
	v.sessions.Range(func(k sessionKey, e *sessionEntry) bool {
		if cur >= e.claimOpen {
			v.sessions.Delete(k)
		}
		return true
	})
	v.rings.prune(cur)
}

func sameHeader(a, b *sessiontypes.SessionHeader) bool {
	return a.SessionId == b.SessionId &&
		a.ApplicationAddress == b.ApplicationAddress &&
		a.ServiceId == b.ServiceId &&
		a.SessionStartBlockHeight == b.SessionStartBlockHeight &&
		a.SessionEndBlockHeight == b.SessionEndBlockHeight
}

// chainError classifies a failed chain read: "not found" and refused requests mean the
// relay names something the chain does not have (notFound); anything else, transient
// failures included, is chain_unavailable.
func chainError(notFound reason, what string, err error) error {
	if errors.Is(err, query.ErrNotFound) || errors.Is(err, query.ErrInvalid) {
		return reject(notFound, "%s: %w", what, err)
	}
	return reject(reasonChainUnavailable, "%s: %w", what, err)
}
