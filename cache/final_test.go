package cache

import (
	"context"
	"testing"

	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"

	"github.com/shannon-ops/pocket-relay-miner/query/querytest"
	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

// TestSharedParamsChangeAtFutureHeight replays a governance change of the claim window offset
// the way poktroll v0.1.35 records it (a params history entry at the next session start,
// x/shared/keeper/msg_server_update_param.go) against two processes sharing a real Redis.
// Sessions are 4 blocks: [997,1000], [1001,1004], [1005,1008].
func TestSharedParamsChangeAtFutureHeight(t *testing.T) {
	chain := fakeChain(t)
	chain.SetLastHeight(1000)
	srv := redistest.Start(t)
	a := newProcess(t, srv.Client(), false)
	ca := newChain(t, a.hub, newQuerier(t, chain))
	ctx := context.Background()
	old := chain.SharedParams()
	changed := old
	changed.ClaimWindowOpenOffsetBlocks = old.ClaimWindowOpenOffsetBlocks + 2

	// A relayer asks for the session after next before any change: the chain answers the
	// params it knows today.
	claimOpen := func(c *Chain, end int64) uint64 {
		t.Helper()
		p, err := c.SharedParamsAt(ctx, end)
		if err != nil {
			t.Fatal(err)
		}
		return p.ClaimWindowOpenOffsetBlocks
	}
	if got := claimOpen(ca, 1008); got != old.ClaimWindowOpenOffsetBlocks {
		t.Fatalf("before the change: offset %d, want %d", got, old.ClaimWindowOpenOffsetBlocks)
	}
	if n := srv.Client().Exists(ctx, testKeys.CacheEntry(string(KindSharedParams), "1008")).Val(); n != 0 {
		t.Error("params fetched for a session that has not started were written to L2")
	}

	// Block 1001 executes the change: it takes effect at 1005, the next session start.
	chain.SetLastHeight(1001)
	chain.RecordSharedParams(1005, changed)
	if got := claimOpen(ca, 1004); got != old.ClaimWindowOpenOffsetBlocks {
		t.Errorf("session [1001,1004]: offset %d, want the old %d", got, old.ClaimWindowOpenOffsetBlocks)
	}
	if got := claimOpen(ca, 1008); got != changed.ClaimWindowOpenOffsetBlocks {
		t.Errorf("session [1005,1008] in the process that asked before the change: offset %d, want the new %d",
			got, changed.ClaimWindowOpenOffsetBlocks)
	}
	b := newProcess(t, srv.Client(), false)
	cb := newChain(t, b.hub, newQuerier(t, chain))
	if got := claimOpen(cb, 1008); got != changed.ClaimWindowOpenOffsetBlocks {
		t.Errorf("session [1005,1008] in another process: offset %d, want the new %d", got, changed.ClaimWindowOpenOffsetBlocks)
	}

	// Once the chain is at 1004, nothing can change [1005,1008] any more: it is cached.
	chain.SetLastHeight(1004)
	if got := claimOpen(ca, 1008); got != changed.ClaimWindowOpenOffsetBlocks {
		t.Fatalf("at 1004: offset %d, want %d", got, changed.ClaimWindowOpenOffsetBlocks)
	}
	calls := chain.Calls(querytest.MethodSharedAtHeight)
	if got := claimOpen(ca, 1008); got != changed.ClaimWindowOpenOffsetBlocks || chain.Calls(querytest.MethodSharedAtHeight) != calls {
		t.Errorf("final answer: offset %d, %d more chain calls; want %d from L1", got,
			chain.Calls(querytest.MethodSharedAtHeight)-calls, changed.ClaimWindowOpenOffsetBlocks)
	}
	if n := srv.Client().Exists(ctx, testKeys.CacheEntry(string(KindSharedParams), "1008")).Val(); n != 1 {
		t.Error("the final answer was not written to L2")
	}
	if c := counter(t, a.reg, "relayminer_cache_not_final_loads_total", map[string]string{"kind": string(KindSharedParams)}); c != 2 {
		t.Errorf("not_final_loads_total{shared_params} = %v, want 2", c)
	}
}

// TestPricingAtFutureHeightIsNotKept: CUPR and difficulty asked for a height above the next
// block (a session start not reached) are served but asked again next time; at or below it
// they are cached.
func TestPricingAtFutureHeightIsNotKept(t *testing.T) {
	chain := fakeChain(t)
	srv := redistest.Start(t)
	c := newChain(t, newProcess(t, srv.Client(), false).hub, newQuerier(t, chain))
	ctx := context.Background()
	for _, tc := range []struct {
		height int64
		want   int // chain calls for two lookups
	}{{1005, 2}, {1001, 1}} {
		cupr, diff := chain.Calls(querytest.MethodCUPRAtHeight), chain.Calls(querytest.MethodDifficultyAt)
		for range 2 {
			if _, err := c.CUPRAt(ctx, svc, tc.height); err != nil {
				t.Fatal(err)
			}
			if _, err := c.DifficultyAt(ctx, svc, tc.height); err != nil {
				t.Fatal(err)
			}
		}
		if d := chain.Calls(querytest.MethodCUPRAtHeight) - cupr; d != tc.want {
			t.Errorf("cupr at %d (chain at 1000): %d chain calls for two lookups, want %d", tc.height, d, tc.want)
		}
		if d := chain.Calls(querytest.MethodDifficultyAt) - diff; d != tc.want {
			t.Errorf("difficulty at %d (chain at 1000): %d chain calls for two lookups, want %d", tc.height, d, tc.want)
		}
	}
}

// TestSharedParamsFinal checks the rule against poktroll v0.1.35's grid math
// (x/shared/types/session.go), anchored grids included.
func TestSharedParamsFinal(t *testing.T) {
	four := sharedtypes.DefaultParams()
	four.NumBlocksPerSession = 4 // sessions [1,4], [5,8], [9,12]
	// An epoch recorded at 13 with 6-block sessions: [13,18], [19,24].
	six := four
	six.NumBlocksPerSession, six.SessionGridAnchorHeight, six.SessionNumberAtAnchor = 6, 13, 4
	for _, tc := range []struct {
		name     string
		p        *sharedtypes.Params
		h, state int64
		want     bool
	}{
		{"past height", &four, 3, 10, true},
		{"current session end", &four, 12, 10, true},
		{"next session, chain at its last block before", &four, 16, 12, true},
		{"next session, a block earlier", &four, 16, 11, false},
		{"recorded epoch, not started", &six, 18, 11, false},
		{"recorded epoch, chain at the block before it", &six, 18, 12, true},
		{"recorded epoch, its second session", &six, 20, 17, false},
		{"recorded epoch, its second session reached", &six, 24, 18, true},
		{"no state height", &four, 3, 0, false},
	} {
		if got := sharedParamsFinal(tc.p, tc.h, tc.state); got != tc.want {
			t.Errorf("%s: sharedParamsFinal(h=%d, state=%d) = %v, want %v", tc.name, tc.h, tc.state, got, tc.want)
		}
	}
}

func TestLoadFinalOptions(t *testing.T) {
	srv := redistest.Start(t)
	hub := newProcess(t, srv.Client(), false).hub
	load := func(context.Context, string) (uint64, error) { return 1, nil }
	loadFinal := func(context.Context, string) (uint64, bool, error) { return 1, false, nil }
	for name, o := range map[string]Options[string, uint64]{
		"neither":        {Kind: KindServiceCUPR, Codec: Uint64Codec()},
		"both":           {Kind: KindServiceCUPR, Codec: Uint64Codec(), Load: load, LoadFinal: loadFinal},
		"live LoadFinal": {Kind: KindSupplier, Codec: Uint64Codec(), LoadFinal: loadFinal, Live: true},
	} {
		if _, err := New(hub, o); err == nil {
			t.Errorf("%s: New accepted the options", name)
		}
	}
	c, err := New(hub, Options[string, uint64]{Kind: KindServiceCUPR, Codec: Uint64Codec(), LoadFinal: loadFinal})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := c.Get(context.Background(), "k"); err != nil || v != 1 || c.Len() != 0 {
		t.Fatalf("not final: %d, %v, %d L1 entries; want 1, nil, 0", v, err, c.Len())
	}
}
