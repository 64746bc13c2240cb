package localnet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
)

// SessionEpoch is a set of session params and the first height they apply to.
type SessionEpoch struct {
	From    int64   `json:"from_height"`
	Session Session `json:"session"`
}

// SessionAt returns the session params in effect at height: the genesis params, or those of
// the last UpdateSessionParams whose effective height is at or below height.
func (l *Localnet) SessionAt(height int64) Session {
	s := l.Session
	for _, e := range l.SessionHistory {
		if e.From <= height {
			s = e.Session
		}
	}
	return s
}

// sessionEndAt is the last block of the session containing height (the grid starts at block
// 1 and UpdateSessionParams never changes the session length).
func (s Session) sessionEndAt(height int64) int64 {
	n := int64(s.NumBlocksPerSession)
	start := height - (height-1)%n
	return start + n - 1
}

// UpdateSessionParams changes the shared params' window offsets and unbonding periods through
// x/gov's authority (an authz grant to the validator key in genesis: see authority.go) with
// one bulk MsgUpdateParams, and returns the height it takes effect at. poktroll v0.1.35
// (x/shared/keeper/msg_server_update_param.go, recordParamsHistory) records session-timing
// params in its history at the start of the session after the one the tx lands in, and
// promotes them there; sessions already under way keep their windows. The session length
// cannot change here: that moves the session grid, which the harness does not follow.
func (l *Localnet) UpdateSessionParams(ctx context.Context, next Session) (int64, error) {
	if err := next.Validate(); err != nil {
		return 0, fmt.Errorf("localnet: update session params: %w", err)
	}
	if next.NumBlocksPerSession != l.Session.NumBlocksPerSession {
		return 0, fmt.Errorf("localnet: update session params: num_blocks_per_session must stay %d", l.Session.NumBlocksPerSession)
	}
	out, err := l.Pocketd(ctx, "query", "shared", "params", "--output", "json", "--node", l.NodeRPC)
	if err != nil {
		return 0, err
	}
	// The CLI pretty-prints the params over many lines, after any notices.
	dec := json.NewDecoder(bytes.NewReader(out[max(0, bytes.IndexByte(out, '{')):]))
	dec.UseNumber()
	var q struct {
		Params map[string]any `json:"params"`
	}
	if err := dec.Decode(&q); err != nil || q.Params == nil {
		return 0, fmt.Errorf("localnet: shared params: no params in %q", out)
	}
	// Zero-valued params are left out of the CLI's output, so a missing name is no error; a
	// renamed one is caught by the chain, which rejects the incomplete params.
	for k, v := range next.sharedParams() {
		q.Params[k] = v
	}
	tx, err := json.Marshal(map[string]any{"body": map[string]any{"messages": []any{map[string]any{
		"@type": "/pocket.shared.MsgUpdateParams", "authority": GovAuthority(), "params": q.Params,
	}}}})
	if err != nil {
		return 0, err
	}
	path, err := l.writeFile("update_shared_params.json", string(tx))
	if err != nil {
		return 0, err
	}
	res, err := l.SendTx(ctx, l.Accounts.Validator.Name, "authz", "exec", path)
	if err != nil {
		return 0, fmt.Errorf("localnet: update session params: %w", err)
	}
	effective := l.SessionAt(res.Height).sessionEndAt(res.Height) + 1
	l.SessionHistory = append(l.SessionHistory, SessionEpoch{From: effective, Session: next})
	l.logf("shared params updated at height %d, in effect from height %d: %+v", res.Height, effective, next)
	return effective, l.save()
}

// sharedParams are the x/shared param names (JSON, uint64 as strings) for s.
func (s Session) sharedParams() map[string]any {
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	return map[string]any{
		"num_blocks_per_session":                u(s.NumBlocksPerSession),
		"grace_period_end_offset_blocks":        u(s.GracePeriodEndOffset),
		"claim_window_open_offset_blocks":       u(s.ClaimWindowOpenOffset),
		"claim_window_close_offset_blocks":      u(s.ClaimWindowCloseOffset),
		"proof_window_open_offset_blocks":       u(s.ProofWindowOpenOffset),
		"proof_window_close_offset_blocks":      u(s.ProofWindowCloseOffset),
		"supplier_unbonding_period_sessions":    u(s.UnbondingSessions),
		"application_unbonding_period_sessions": u(s.UnbondingSessions),
		"gateway_unbonding_period_sessions":     u(s.UnbondingSessions),
	}
}

// UpdateParamUint64 sets one uint64 param of a poktroll module (such as "service",
// "target_num_relays") through x/gov's authority with MsgUpdateParam, and returns the height
// of the tx. Whether the change applies at once or at the next session start is the module's
// rule: x/service applies target_num_relays at once, and difficulty follows at the next
// settlement of a claim for each service.
func (l *Localnet) UpdateParamUint64(ctx context.Context, module, name string, value uint64) (int64, error) {
	if !contains(authorityMsgs, "/pocket."+module+".MsgUpdateParam") {
		return 0, fmt.Errorf("localnet: update param: no authority grant for module %q", module)
	}
	tx, err := json.Marshal(map[string]any{"body": map[string]any{"messages": []any{map[string]any{
		"@type": "/pocket." + module + ".MsgUpdateParam", "authority": GovAuthority(),
		"name": name, "as_uint64": strconv.FormatUint(value, 10),
	}}}})
	if err != nil {
		return 0, err
	}
	path, err := l.writeFile("update_"+module+"_"+name+".json", string(tx))
	if err != nil {
		return 0, err
	}
	res, err := l.SendTx(ctx, l.Accounts.Validator.Name, "authz", "exec", path)
	if err != nil {
		return 0, fmt.Errorf("localnet: update %s param %s: %w", module, name, err)
	}
	l.logf("%s param %s set to %d at height %d", module, name, value, res.Height)
	return res.Height, nil
}
