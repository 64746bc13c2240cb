package query_test

import (
	"context"
	"testing"

	"github.com/shannon-ops/pocket-relay-miner/query/querytest"
)

// TestSharedParamsAtHeightFollowsHistory: a params change recorded for a future session start
// answers heights from it on, earlier heights keep the previous params, and every answer names
// the committed height of the state it came from. This is poktroll v0.1.35's ParamsAtHeight
// (x/shared/keeper/params.go: newest history entry at or below the height, else live params),
// which the fake chain mirrors, seen through the client.
func TestSharedParamsAtHeightFollowsHistory(t *testing.T) {
	chain := querytest.Start(t)
	chain.SetLastHeight(6)
	c, _ := newClient(t, chain, nil)
	ctx := context.Background()
	old := chain.SharedParams()
	changed := old
	changed.ClaimWindowOpenOffsetBlocks = old.ClaimWindowOpenOffsetBlocks + 3
	chain.RecordSharedParams(9, changed)
	for _, tc := range []struct {
		height int64
		want   uint64
	}{{8, old.ClaimWindowOpenOffsetBlocks}, {9, changed.ClaimWindowOpenOffsetBlocks}, {12, changed.ClaimWindowOpenOffsetBlocks}} {
		p, state, err := c.SharedParamsAtHeight(ctx, tc.height)
		if err != nil {
			t.Fatal(err)
		}
		if p.ClaimWindowOpenOffsetBlocks != tc.want || state != 6 {
			t.Errorf("height %d: claim window open offset %d at state %d, want %d at state 6",
				tc.height, p.ClaimWindowOpenOffsetBlocks, state, tc.want)
		}
	}
}
