package miner

import (
	"github.com/pokt-network/smt"
)

// State is where one (supplier, session) stands in its lifecycle.
//
//	active ──claim time──▶ claiming ──claim included──▶ claimed ──required──▶ proving ──▶ proved ──▶ settled
//	   │                       │                           │                                  ▲
//	   │                       │ empty/cupr/unprofitable   └─not required──▶ skipped ─────────┘ (at proof close)
//	   └──────window passed────┴──────────▶ failed (claim_window_missed, proof_window_missed, tx_failed)
type State string

// States. Settled, failed and skipped (except skipped/proof_not_required, which settles) are
// final.
const (
	StateActive   State = "active"   // relays are mined into the tree
	StateClaiming State = "claiming" // the tree is sealed (no more relays); the claim is being sent
	StateClaimed  State = "claimed"  // the claim is on chain; waiting for the proof window
	StateProving  State = "proving"  // a proof is required and being sent
	StateProved   State = "proved"   // the proof is on chain
	StateSettled  State = "settled"  // the chain settled the claim (proved, or no proof required)
	StateSkipped  State = "skipped"  // deliberately not claimed or not proved; Reason says why
	StateFailed   State = "failed"   // a window was lost; Reason says why
)

// AllStates lists every State, for metrics.
var AllStates = []State{StateActive, StateClaiming, StateClaimed, StateProving, StateProved,
	StateSettled, StateSkipped, StateFailed}

// Reason says why a session was skipped or failed. It is a metric label value.
type Reason string

// Reasons.
const (
	ReasonNone              Reason = ""
	ReasonClaimWindowMissed Reason = "claim_window_missed" // never sent a claim inside its window
	ReasonProofWindowMissed Reason = "proof_window_missed" // never sent a required proof inside its window
	ReasonTxFailed          Reason = "tx_failed"           // sent, but no tx landed before the window closed
	ReasonProofNotRequired  Reason = "proof_not_required"  // the chain needs no proof: the claim settles as is
	ReasonCUPRMismatch      Reason = "cupr_mismatch"       // sum ≠ count × CUPR: the chain would refuse the claim
	ReasonEmptyTree         Reason = "empty_tree"          // no relay was mined
	ReasonUnprofitable      Reason = "unprofitable"        // the claim would earn less than configured
	ReasonInsufficientFunds Reason = "insufficient_funds"  // the operator cannot pay the claim and its proof
)

// SkipReasons and FailReasons list the reasons of the skipped and failed states, for metrics.
var (
	SkipReasons = []Reason{ReasonProofNotRequired, ReasonCUPRMismatch, ReasonEmptyTree, ReasonUnprofitable,
		ReasonInsufficientFunds}
	FailReasons = []Reason{ReasonClaimWindowMissed, ReasonProofWindowMissed, ReasonTxFailed}
)

// Action is something Step asks the driver to do. Every action's result comes back through one
// of Session's On* methods.
type Action string

// Actions.
const (
	ActSealTree    Action = "seal-tree"    // stop accepting relays, read the root: OnSealed
	ActSubmitClaim Action = "submit-claim" // BeginClaim, persist, send, OnClaim
	ActCheckClaim  Action = "check-claim"  // a claim's fate is unknown: look it up, OnClaimLookup
	ActFetchSeed   Action = "fetch-seed"   // seed block hash → proof requirement: OnRequirement
	ActSubmitProof Action = "submit-proof" // BeginProof, persist, send, OnProof
	ActCheckProof  Action = "check-proof"  // a proof's fate is unknown: look it up, OnProofLookup
	ActDeleteTree  Action = "delete-tree"  // the tree is no longer needed: OnTreeDeleted
	ActMarkSettled Action = "mark-settled" // the chain settled the claim: count it
)

// TxOutcome is what became of a claim or proof message the driver sent.
type TxOutcome string

// Tx outcomes.
const (
	TxIncluded TxOutcome = "included" // included on chain with code 0
	TxFailed   TxOutcome = "failed"   // refused before the mempool or failed in its block: not on chain
	TxUnknown  TxOutcome = "unknown"  // it may still land (or did): look it up before sending again
)

// Session is the lifecycle state of one (supplier, session). It is a value: Step and the On*
// methods return the next state and never do I/O. Block height is its only notion of time, and
// Step decides from the current height alone (level-triggered), so a late, repeated or skipped
// height never strands a session.
type Session struct {
	ID     string
	State  State
	Reason Reason
	// Root is the 48-byte sealed claim root (nil until sealed).
	Root []byte
	// Requirement is the decided proof requirement, RequirementUnknown until decided.
	Requirement Requirement
	// ClaimAttempts and ProofAttempts count sends; LastAttempt is the height of the latest.
	ClaimAttempts int
	ProofAttempts int
	LastAttempt   int64
	// InFlight is set, and persisted, before a claim or proof is sent, and cleared once its
	// outcome is known; a new owner that finds it set looks the message up instead of sending.
	InFlight bool
	// TxHash is the tx that carried the latest send, once known ("" before). While InFlight it
	// is looked up first: a tx not found yet is still pending until the chain passes its
	// timeout height (the window close), and is never sent again before that.
	TxHash string
	// TreeDeleted is set once the tree is gone.
	TreeDeleted bool
	// Error is the latest send error, for operators.
	Error string
}

// NewSession returns the active state of session id.
func NewSession(id string) Session { return Session{ID: id, State: StateActive} }

// Final reports whether nothing more will happen to s (it can be forgotten once its tree is
// deleted).
func (s Session) Final() bool {
	switch s.State {
	case StateSettled, StateFailed:
		return true
	case StateSkipped:
		return s.Reason != ReasonProofNotRequired
	}
	return false
}

// Sealed reports whether the session takes no more relays.
func (s Session) Sealed() bool { return s.State != StateActive }

// needsTree reports whether the tree may still be read.
func (s Session) needsTree() bool {
	switch s.State {
	case StateActive, StateClaiming, StateClaimed, StateProving:
		return true
	}
	return false
}

// Step returns the state at height and the actions to take now. w are the session's windows;
// while they are not known (before the session ends) nothing happens.
func (s Session) Step(height int64, w Windows) (Session, []Action) {
	if !w.Valid() {
		return s, nil
	}
	var acts []Action
	switch s.State {
	case StateActive:
		s, acts = s.stepActive(height, w)
	case StateClaiming:
		s, acts = s.stepClaiming(height, w)
	case StateClaimed:
		if height >= w.ProofAt && s.Requirement == RequirementUnknown {
			acts = []Action{ActFetchSeed} // also after the window, to tell not-required from missed
		}
	case StateProving:
		s, acts = s.stepProving(height, w)
	case StateProved:
		if w.Settled(height) {
			s.State, acts = StateSettled, []Action{ActMarkSettled}
		}
	case StateSkipped:
		if s.Reason == ReasonProofNotRequired && w.Settled(height) {
			s.State, acts = StateSettled, []Action{ActMarkSettled}
		}
	}
	if !s.needsTree() && !s.TreeDeleted {
		acts = append(acts, ActDeleteTree)
	}
	return s, acts
}

func (s Session) stepActive(height int64, w Windows) (Session, []Action) {
	switch {
	case height > w.ClaimClose:
		return s.fail(ReasonClaimWindowMissed), nil
	case height >= w.ClaimAt:
		// Sealed when the claim is made, not when the window opens: relays answered before
		// the window opened may still be on their way (a relayer's publish backlog, the
		// stream, a dead replica's pending list) until then.
		s.State = StateClaiming
		return s, []Action{ActSealTree}
	}
	return s, nil
}

func (s Session) stepClaiming(height int64, w Windows) (Session, []Action) {
	switch {
	case s.InFlight && height <= s.LastAttempt:
		return s, nil // sent in this block: its fate is known from the next one on
	case s.InFlight:
		return s, []Action{ActCheckClaim}
	case height > w.ClaimClose && s.ClaimAttempts > 0:
		return s.fail(ReasonTxFailed), nil
	case height > w.ClaimClose:
		return s.fail(ReasonClaimWindowMissed), nil
	case s.Root == nil:
		return s, []Action{ActSealTree}
	case height < w.ClaimAt, s.ClaimAttempts > 0 && height <= s.LastAttempt:
		return s, nil // not yet, or already tried in this block: retry at the next one
	}
	return s, []Action{ActSubmitClaim}
}

func (s Session) stepProving(height int64, w Windows) (Session, []Action) {
	switch {
	case s.InFlight && height <= s.LastAttempt:
		return s, nil
	case s.InFlight:
		return s, []Action{ActCheckProof}
	case height > w.ProofClose && s.ProofAttempts > 0:
		return s.fail(ReasonTxFailed), nil
	case height > w.ProofClose:
		return s.fail(ReasonProofWindowMissed), nil
	case height < w.ProofAt, s.ProofAttempts > 0 && height <= s.LastAttempt:
		return s, nil
	}
	return s, []Action{ActSubmitProof}
}

func (s Session) fail(r Reason) Session {
	s.State, s.Reason, s.InFlight = StateFailed, r, false
	return s
}

func (s Session) skip(r Reason) Session {
	s.State, s.Reason = StateSkipped, r
	return s
}

// Seal is the result of ActSealTree.
type Seal struct {
	Root []byte // the tree's 48-byte root at sealing
	// CUPR is the service's compute units per relay at the session start height.
	CUPR uint64
	// Unprofitable is set by the driver when the claim would earn less than configured.
	Unprofitable bool
}

// OnSealed records the sealed root, or skips the session when the chain would refuse or not
// pay its claim (PROTOCOL.md §6.5): no relay, sum ≠ count × CUPR, or unprofitable.
func (s Session) OnSealed(seal Seal) Session {
	if s.State != StateClaiming || s.Root != nil {
		return s
	}
	root := smt.MerkleSumRoot(seal.Root)
	count, errC := root.Count()
	sum, errS := root.Sum()
	switch {
	case len(seal.Root) != claimRootLen || errC != nil || errS != nil || count == 0:
		return s.skip(ReasonEmptyTree)
	case seal.CUPR == 0 || sum/seal.CUPR != count || sum%seal.CUPR != 0:
		return s.skip(ReasonCUPRMismatch)
	case seal.Unprofitable:
		return s.skip(ReasonUnprofitable)
	}
	s.Root = append([]byte(nil), seal.Root...)
	return s
}

// OnInsufficientFunds skips a session about to be claimed whose claim and proof the operator
// cannot pay: a claim without its proof ends in a missing proof and a slash, so it is never
// sent (poktroll's relay miner also drops such a session for good). A claim in flight is
// left to its lookup.
func (s Session) OnInsufficientFunds() Session {
	if s.State != StateClaiming || s.InFlight {
		return s
	}
	return s.skip(ReasonInsufficientFunds)
}

// BeginClaim records a claim send at height. Persist the result before sending.
func (s Session) BeginClaim(height int64) Session {
	s.ClaimAttempts++
	s.LastAttempt, s.InFlight, s.TxHash = height, true, ""
	return s
}

// OnClaim records the outcome of the claim sent after BeginClaim: txHash names the tx that
// carried it ("" when none reached the node), errText is kept for operators.
func (s Session) OnClaim(o TxOutcome, txHash, errText string) Session {
	return s.onTx(StateClaiming, StateClaimed, o, txHash, errText)
}

// onTx records the outcome of the tx sent in state from: included moves the session to done,
// failed frees it for another attempt, unknown keeps it in flight with its tx hash (a lookup
// decides). Outside from it changes nothing.
func (s Session) onTx(from, done State, o TxOutcome, txHash, errText string) Session {
	if s.State != from {
		return s
	}
	s.Error, s.TxHash = errText, txHash
	switch o {
	case TxIncluded:
		s.State, s.InFlight, s.Error = done, false, ""
	case TxFailed:
		s.InFlight = false
	}
	return s
}

// OnBroadcast records the tx that carries the send in flight, as soon as it reached the node
// and before its outcome is known: a new owner then looks that tx up instead of sending again.
func (s Session) OnBroadcast(txHash string) Session {
	if s.InFlight && (s.State == StateClaiming || s.State == StateProving) {
		s.TxHash = txHash
	}
	return s
}

// OnClaimLookup records what the chain holds for the session's claim: its root, or nil when
// there is none and none can land any more (the driver keeps a tx that may still land in
// flight without calling it). A claim on chain is adopted as is: its root is what any proof
// must match.
func (s Session) OnClaimLookup(chainRoot []byte) Session {
	if s.State != StateClaiming {
		return s
	}
	s.InFlight = false
	if chainRoot != nil {
		s.State, s.Root, s.Error = StateClaimed, append([]byte(nil), chainRoot...), ""
	}
	return s
}

// OnRequirement records the decided proof requirement: a required proof is sent, otherwise
// the session is skipped (proof_not_required) and settles as is.
func (s Session) OnRequirement(r Requirement) Session {
	if s.State != StateClaimed || r == RequirementUnknown {
		return s
	}
	s.Requirement = r
	if r == RequirementNotRequired {
		return s.skip(ReasonProofNotRequired)
	}
	s.State = StateProving
	return s
}

// BeginProof records a proof send at height. Persist the result before sending.
func (s Session) BeginProof(height int64) Session {
	s.ProofAttempts++
	s.LastAttempt, s.InFlight, s.TxHash = height, true, ""
	return s
}

// OnProof records the outcome of the proof sent after BeginProof (see OnClaim).
func (s Session) OnProof(o TxOutcome, txHash, errText string) Session {
	return s.onTx(StateProving, StateProved, o, txHash, errText)
}

// OnProofLookup records whether the session's proof landed (found), or that none did and none
// can any more (see OnClaimLookup).
func (s Session) OnProofLookup(found bool) Session {
	if s.State != StateProving {
		return s
	}
	s.InFlight = false
	if found {
		s.State, s.Error = StateProved, ""
	}
	return s
}

// OnTreeDeleted records that the tree is gone.
func (s Session) OnTreeDeleted() Session {
	s.TreeDeleted = true
	return s
}
