package miner

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Unsettled reports whether supplier op has a persisted session that may still need a claim or
// a proof at height: one that is not final and whose proof window has not closed yet (or whose
// windows are not known yet). height ≤ 0 means the height is unknown: then every session that
// is not final counts. Discovery keeps such a supplier owned, so the last sessions of a leaving
// supplier are claimed and proved, also after a restart: the answer comes from Redis, not from
// a replica's memory. A session hash that expired counts as settled.
func (st *StateStore) Unsettled(ctx context.Context, op string, height int64) (bool, error) {
	ids, err := st.rdb.ZRange(ctx, st.keys.SessionIndex(op), 0, -1).Result()
	if err != nil {
		return false, fmt.Errorf("unsettled sessions of %s: %w", op, err)
	}
	if len(ids) == 0 {
		return false, nil
	}
	cmds := make([]*redis.SliceCmd, len(ids))
	_, err = st.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HMGet(ctx, st.keys.Session(op, id), fState, fReason, fWindows)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("unsettled sessions of %s: %w", op, err)
	}
	for i, c := range cmds {
		v := c.Val()
		state, _ := v[0].(string)
		if state == "" {
			continue // expired
		}
		reason, _ := v[1].(string)
		if (Session{State: State(state), Reason: Reason(reason)}).Final() {
			continue
		}
		var w Windows
		if raw, _ := v[2].(string); raw != "" {
			if err := json.Unmarshal([]byte(raw), &w); err != nil {
				return false, fmt.Errorf("unsettled sessions of %s: decode session %s windows: %w", op, ids[i], err)
			}
		}
		// Past the proof window close the chain has settled or expired the claim: nothing a
		// replica does for the session can change that any more.
		if height > 0 && w.Valid() && height > w.ProofClose {
			continue
		}
		return true, nil
	}
	return false, nil
}
