package miner

import (
	"fmt"

	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
)

// Windows are the heights that drive one session's lifecycle. They are computed once per
// session from the shared params in force at the session end height (PROTOCOL.md §5.3), with
// poktroll's own helpers, and persisted with the session so a later params change cannot move
// them.
type Windows struct {
	Start      int64 // first block of the session
	End        int64 // last block of the session (E)
	GraceEnd   int64 // last block at which relays for the session are accepted
	ClaimOpen  int64 // first block a claim may be included in
	ClaimClose int64 // last block a claim may be included in
	ProofOpen  int64 // first block a proof may be included in
	ProofClose int64 // last block a proof may be included in; the chain settles at its EndBlock
	// ClaimAt is the height from which the claim is sent: ClaimOpen + the configured claim
	// delay, clamped to ClaimClose.
	ClaimAt int64
	// ProofAt is the height from which the proof requirement is decided and a required proof
	// sent: ProofOpen + the configured proof delay, clamped to ProofClose.
	ProofAt int64
	// NumBlocks is the session length N at E, used for state TTLs.
	NumBlocks int64
}

// NewWindows computes the windows of the session ending at end from params, the shared params
// at end. claimDelay and proofDelay (config sessions.claim_delay_blocks and
// proof_delay_blocks, ≥ 0) postpone the sends inside their windows.
func NewWindows(params *sharedtypes.Params, end, claimDelay, proofDelay int64) (Windows, error) {
	if params == nil || params.GetNumBlocksPerSession() == 0 {
		return Windows{}, fmt.Errorf("windows for session end %d: no shared params", end)
	}
	if claimDelay < 0 || proofDelay < 0 {
		return Windows{}, fmt.Errorf("windows for session end %d: negative delay", end)
	}
	if got := sharedtypes.GetSessionEndHeight(params, end); got != end {
		return Windows{}, fmt.Errorf("windows: height %d is not a session end (session ends at %d)", end, got)
	}
	w := Windows{
		Start:      sharedtypes.GetSessionStartHeight(params, end),
		End:        end,
		GraceEnd:   sharedtypes.GetSessionGracePeriodEndHeight(params, end),
		ClaimOpen:  sharedtypes.GetClaimWindowOpenHeight(params, end),
		ClaimClose: sharedtypes.GetClaimWindowCloseHeight(params, end),
		ProofOpen:  sharedtypes.GetProofWindowOpenHeight(params, end),
		ProofClose: sharedtypes.GetProofWindowCloseHeight(params, end),
		NumBlocks:  int64(params.GetNumBlocksPerSession()),
	}
	w.ClaimAt = min(w.ClaimOpen+claimDelay, w.ClaimClose)
	w.ProofAt = min(w.ProofOpen+proofDelay, w.ProofClose)
	return w, nil
}

// Valid reports whether w was computed (the zero Windows is not).
func (w Windows) Valid() bool { return w.End > 0 && w.ClaimOpen > w.End && w.ProofClose >= w.ProofOpen }

// SeedHeight is the proof requirement seed block: the block before the proof window opens
// (PROTOCOL.md §6.6). Never another block.
func (w Windows) SeedHeight() int64 { return w.ProofOpen - 1 }

// Settled reports whether the chain has settled (or expired) the session's claim at height:
// settlement runs in the EndBlock of ProofClose.
func (w Windows) Settled(height int64) bool { return height >= w.ProofClose }
