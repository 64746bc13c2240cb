package cache

import sharedtypes "github.com/pokt-network/poktroll/x/shared/types"

// When an answer about a height is final.
//
// poktroll v0.1.35 records every change of the data we key by height in a history, at the
// start of the session after the block that executes the change:
//   - shared params: MsgUpdateParam(s) write a ParamsUpdate at the next session start
//     (x/shared/keeper/msg_server_update_param.go recordParamsHistory), overwriting one already
//     recorded there; ParamsAtHeight answers the newest entry at or below the height, or the
//     live params while there is no history (x/shared/keeper/params.go GetParamsAtHeight);
//   - relay mining difficulty: the settlement EndBlocker writes the new target at the next
//     session start (x/service/keeper/update_relay_mining_difficulty.go);
//   - compute units per relay: a service update writes the new value at the next session start
//     (x/service/keeper/service_compute_units_history.go).
//
// A node whose state is at committed height state can still execute a change in block state+1,
// so a change not seen yet takes effect at the first session start after the session holding
// state+1. Every height up to the end of that session is final; a height of a later session is
// not (for it the chain answers what it knows today, live params included).

// sharedParamsFinal reports whether p, the shared params a node at committed height state
// answered for height h, is final. p is the epoch in force at h, so its grid (anchor, blocks
// per session) places h's session: the answer is final once that session has started by
// state+1. An epoch recorded for a later session starts after state+1, so its heights are
// never final here. state 0 (the node did not say) is never final.
func sharedParamsFinal(p *sharedtypes.Params, h, state int64) bool {
	return state > 0 && sharedtypes.GetSessionStartHeight(p, h) <= state+1
}

// atHeightFinal reports whether an answer for h from a node at committed height state is final
// without knowing h's session: any h up to state+1 is, since a change executed from state+1 on
// takes effect after it. Callers ask CUPR and difficulty at session starts, for which this is
// exact: a session start above state+1 is a session that has not started.
func atHeightFinal(h, state int64) bool { return state > 0 && h <= state+1 }
