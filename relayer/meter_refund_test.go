package relayer

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	sdktypes "github.com/pokt-network/shannon-sdk/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/relayer/meter"
	"github.com/shannon-ops/pocket-relay-miner/transport"
	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

var meterKeys = transport.MustKeys("t")

// withStakeMeter makes the fixture meter relays with a StakeMeter over a real redis-server:
// a stake large enough for every test relay, one supplier per session.
func withStakeMeter(rdb redis.UniversalClient) fixtureOption {
	return func(f *fixture) {
		stake := sdk.NewInt64Coin("upokt", 1_000_000_000)
		f.chain.app.Stake = &stake
		f.chain.app.ServiceConfigs = []*sharedtypes.ApplicationServiceConfig{{ServiceId: testService}}
		m, err := meter.New(rdb, meterKeys, config.FailClosed, zerolog.Nop(), prometheus.NewRegistry())
		if err != nil {
			f.t.Fatal(err)
		}
		f.realMeter = NewStakeMeter(m, f.chain, f.heights, func(context.Context) (uint64, error) { return 1, nil }, time.Second, false)
	}
}

// redisClient is a client of rs closed when the test ends.
func redisClient(t testing.TB, rs *redistest.Server) *redis.Client {
	rdb := rs.Client()
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// meterConsumed reads the upokt charged to the fixture's supplier in its session.
func (f *fixture) meterConsumed(rdb redis.UniversalClient) uint64 {
	f.t.Helper()
	v, err := rdb.Get(context.Background(), meterKeys.Meter(f.sup, f.header.SessionId)).Result()
	if errors.Is(err, redis.Nil) {
		return 0
	}
	if err != nil {
		f.t.Fatal(err)
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

// heightBumpingBackend answers like fakeBackend and moves the block height while it does: the
// claim window opens while the backend is still working.
type heightBumpingBackend struct {
	*fakeBackend
	heights *fakeHeights
	to      int64
}

func (b *heightBumpingBackend) Relay(ctx context.Context, req *sdktypes.POKTHTTPRequest, rc *RelayContext) ([]byte, int, error) {
	b.heights.h.Store(b.to)
	return b.fakeBackend.Relay(ctx, req, rc)
}

// TestMeterChargeFollowsPoktrollRefundRule: a served relay keeps its meter charge exactly when
// poktroll v0.1.35 keeps it. poktroll (pkg/relayer/proxy/sync.go) reverts the optimistic charge
// with SetNonApplicableRelayReward only when the relay did not reach the mining channel: the
// backend failed, answered >= 500, the relay stopped being reward-eligible by height
// (CheckRelayRewardEligibility after the backend call) or the mining channel was full. The
// difficulty check comes later, in the miner, and never refunds: a relay above the target
// keeps its charge, because each mined relay is paid as (difficulty multiplier) relays.
func TestMeterChargeFollowsPoktrollRefundRule(t *testing.T) {
	const cost = 294 // CUPR 7 × 42 upokt per compute unit (default shared params)
	rdb := redisClient(t, redistest.Start(t))
	tests := []struct {
		name     string
		setup    func(f *fixture)
		outcome  outcome
		consumed uint64
	}{
		{name: "mined keeps the charge", outcome: outcomeMined, consumed: cost},
		{name: "above the difficulty target keeps the charge", outcome: outcomeBelowTarget, consumed: cost,
			setup: func(f *fixture) { f.chain.target = make([]byte, 32) }}, // no hash is under an all-zero target
		{name: "backend 5xx is refunded", outcome: outcomeNotEligible, consumed: 0,
			setup: func(f *fixture) { f.backend.status = 503 }},
		{name: "claim window opened during the backend call is refunded", outcome: outcomeNotEligible, consumed: 0,
			setup: func(f *fixture) {
				// E=10 with default params: the claim window opens at 12.
				f.srv.services[testService].backends[config.RPCJSONRPC] = &heightBumpingBackend{f.backend, f.heights, 12}
				f.srv.services[testService].fallback = f.srv.services[testService].backends[config.RPCJSONRPC]
			}},
		{name: "publish backlog full is refunded", outcome: outcomeDropped, consumed: 0,
			setup: func(f *fixture) { f.pub.full = true }},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, withStakeMeter(rdb))
			f.header.SessionId = "s" + strconv.Itoa(i) // a budget of its own on the shared redis
			f.chain.session.Header.SessionId = f.header.SessionId
			f.chain.session.SessionId = f.header.SessionId
			if tc.setup != nil {
				tc.setup(f)
			}
			resp, _ := f.serve(f.body(f.request(nil)))
			if resp.RelayMinerError != nil {
				t.Fatalf("relay_miner_error: %+v", resp.RelayMinerError)
			}
			f.drain()
			if got := f.postOutcome(tc.outcome); got != 1 {
				t.Fatalf("outcome %s counted %v times, want 1", outcomeNames[tc.outcome], got)
			}
			if got := f.meterConsumed(rdb); got != tc.consumed {
				t.Fatalf("meter holds %d upokt, want %d", got, tc.consumed)
			}
		})
	}
	// A backend that fails outright is answered with an error and refunded before mining.
	t.Run("backend error is refunded", func(t *testing.T) {
		f := newFixture(t, withStakeMeter(rdb))
		f.header.SessionId, f.chain.session.SessionId = "s-err", "s-err"
		f.chain.session.Header.SessionId = "s-err"
		f.backend.err = errors.New("connection refused")
		resp, _ := f.serve(f.body(f.request(nil)))
		if resp.RelayMinerError == nil {
			t.Fatal("a failed backend call must be answered with relay_miner_error")
		}
		f.drain()
		if got := f.meterConsumed(rdb); got != 0 {
			t.Fatalf("meter holds %d upokt after a failed relay, want 0", got)
		}
	})
}
