package relayer

import (
	"context"
	"testing"

	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"

	"github.com/shannon-ops/pocket-relay-miner/relayer/ring"
)

// paramsHistoryChain is the fixture's chain with a shared params change taking effect at from
// (poktroll v0.1.35 records a change at the next session start and answers ParamsAtHeight with
// the newest entry at or below the height) and a second session, next.
type paramsHistoryChain struct {
	*fakeChain
	from  int64
	later sharedtypes.Params
	next  sessiontypes.Session
}

func (c *paramsHistoryChain) SharedParamsAt(_ context.Context, h int64) (*sharedtypes.Params, error) {
	if err := c.count(); err != nil {
		return nil, err
	}
	if h >= c.from {
		return &c.later, nil
	}
	return &c.params, nil
}

func (c *paramsHistoryChain) Session(ctx context.Context, app, service string, h int64) (*sessiontypes.Session, error) {
	if n := c.next.Header; h >= n.SessionStartBlockHeight && h <= n.SessionEndBlockHeight {
		return &c.next, nil
	}
	return c.fakeChain.Session(ctx, app, service, h)
}

// TestNextSessionUsesItsOwnParams: at height 10, the last block of session [1,10], a governance
// change of the window offsets takes effect at 11. A relay of session [11,20] gets its grace
// period and claim window from the params at its own height, as the chain will check its claim
// (x/proof/keeper/session.go: params at the session end height); a relay of [1,10] keeps the
// old ones.
func TestNextSessionUsesItsOwnParams(t *testing.T) {
	f := newFixture(t)
	later := f.chain.params
	later.GracePeriodEndOffsetBlocks += 2
	later.ClaimWindowOpenOffsetBlocks += 3
	later.ClaimWindowCloseOffsetBlocks += 3
	next := f.header
	next.SessionId, next.SessionStartBlockHeight, next.SessionEndBlockHeight = "next", 11, 20
	c := &paramsHistoryChain{fakeChain: f.chain, from: 11, later: later, next: sessiontypes.Session{
		Header: &next, SessionId: next.SessionId, Suppliers: f.chain.session.Suppliers,
	}}
	heights := &fakeHeights{}
	heights.h.Store(10)
	v := newValidator(c, heights, ring.New(ring.Config{}))
	for _, tc := range []struct {
		name   string
		header sessiontypes.SessionHeader
		params *sharedtypes.Params
	}{
		{"current session", f.header, &f.chain.params},
		{"next session", next, &later},
	} {
		req := f.request(func(r *servicetypes.RelayRequest) { h := tc.header; r.Meta.SessionHeader = &h })
		e, err := v.validate(context.Background(), req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		end := tc.header.SessionEndBlockHeight
		wantGrace := sharedtypes.GetSessionGracePeriodEndHeight(tc.params, end)
		wantOpen := sharedtypes.GetClaimWindowOpenHeight(tc.params, end)
		if e.graceEnd != wantGrace || e.claimOpen != wantOpen {
			t.Errorf("%s: grace end %d, claim window open %d; want %d, %d (the session's own params)",
				tc.name, e.graceEnd, e.claimOpen, wantGrace, wantOpen)
		}
	}
}
