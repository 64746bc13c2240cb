package relayer

import (
	"context"
	"testing"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/relayer/meter"
	"github.com/shannon-ops/pocket-relay-miner/transport"
	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

// TestStakeMeterOnRedis: with default params (Σoffsets 9, N 10: 2 pending sessions), one
// supplier per session, a 1000upokt stake and CUPR 7 (294 upokt per relay), the budget is 500
// upokt: one relay fits, the second is over-serviced, a refund makes room again.
func TestStakeMeterOnRedis(t *testing.T) {
	f := newFixture(t)
	stake := sdk.NewInt64Coin("upokt", 1000)
	f.chain.app.Stake = &stake
	f.chain.app.ServiceConfigs = []*sharedtypes.ApplicationServiceConfig{{ServiceId: testService}}
	rs := redistest.Start(t)
	m, err := meter.New(redisClient(t, rs), transport.MustKeys("t"), config.FailClosed, zerolog.Nop(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	sm := NewStakeMeter(m, f.chain, f.heights, func(context.Context) (uint64, error) { return 1, nil }, time.Second, false)
	ctx := t.Context()
	h := &f.header
	want := []meter.Outcome{meter.OutcomeAllowed, meter.OutcomeOverServiced}
	for i, w := range want {
		d, err := sm.Consume(ctx, f.sup, h)
		if err != nil || d.Outcome != w {
			t.Fatalf("relay %d: %v %v, want %s", i, d, err, w)
		}
	}
	if err := sm.Refund(ctx, f.sup, h); err != nil {
		t.Fatal(err)
	}
	if d, err := sm.Consume(ctx, f.sup, h); err != nil || d.Outcome != meter.OutcomeAllowed {
		t.Fatalf("after refund: %v %v", d, err)
	}
	// Another supplier of the same session has its own budget.
	if d, err := sm.Consume(ctx, f.other, h); err != nil || d.Outcome != meter.OutcomeAllowed {
		t.Fatalf("other supplier: %v %v", d, err)
	}
	// An application with two service configs is not metered.
	f.chain.app.ServiceConfigs = append(f.chain.app.ServiceConfigs, &sharedtypes.ApplicationServiceConfig{ServiceId: "x"})
	h2 := *h
	h2.SessionId = "other-session"
	if d, _ := sm.Consume(ctx, f.sup, &h2); d.Outcome != meter.OutcomeSkipped {
		t.Fatalf("two service configs: %v, want skipped", d)
	}
	rs.Kill()
	if d, _ := sm.Consume(ctx, f.sup, h); d.Outcome != meter.OutcomeFailClosed {
		t.Fatalf("redis down: %v, want fail_closed", d)
	}
}

// TestMeterBudgetOutlivesSlowBlocks: blocks three times slower than the configured block_time
// must not expire a session's budget before its claim window opens (which would let the app be
// served a second budget in the same session). The key's TTL, read from Redis, is compared
// with the time the remaining blocks take at the real pace.
func TestMeterBudgetOutlivesSlowBlocks(t *testing.T) {
	const configured = time.Second
	const real = 3 * configured
	rdb := redisClient(t, redistest.Start(t))
	f := newFixture(t, withStakeMeter(rdb))
	m, err := meter.New(rdb, meterKeys, config.FailClosed, zerolog.Nop(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	sm := NewStakeMeter(m, f.chain, f.heights, func(context.Context) (uint64, error) { return 1, nil }, configured, false)
	ctx := t.Context()
	key := meterKeys.Meter(f.sup, f.header.SessionId)
	const claimOpen = 12 // E=10 with default shared params
	mustLast := func(cur int64) {
		t.Helper()
		if d, err := sm.Consume(ctx, f.sup, &f.header); err != nil || d.Outcome != meter.OutcomeAllowed {
			t.Fatalf("height %d: %v %v", cur, d, err)
		}
		need := time.Duration(claimOpen-cur) * real
		if ttl := rdb.PTTL(ctx, key).Val(); ttl < need {
			t.Fatalf("at height %d the budget expires in %v, before the claim window opens in %v of %v blocks", cur, ttl, need, real)
		}
	}
	f.heights.h.Store(2)
	mustLast(2)
	// Time passes with slow blocks and no relay: the key has little time left when the chain
	// reaches height 9. The next relay must re-arm it from the new height.
	if err := rdb.PExpire(ctx, key, 2*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	f.heights.h.Store(9)
	mustLast(9)
}
