package miner

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// ReadyProbe is one readiness condition: Check returns "" when ready, else the reason it is
// not; Set publishes the verdict (ops.Condition.Set).
type ReadyProbe struct {
	Check func(ctx context.Context) string
	Set   func(ok bool, reason string)
}

// RunReadiness evaluates every probe at once and then every period until ctx ends; it
// returns nil then. A probe's Check must respect ctx.
func RunReadiness(ctx context.Context, every time.Duration, probes ...ReadyProbe) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		for _, p := range probes {
			reason := p.Check(ctx)
			if ctx.Err() != nil {
				return nil
			}
			p.Set(reason == "", reason)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// RedisReachable is a Check that PINGs Redis within timeout.
func RedisReachable(rdb redis.UniversalClient, timeout time.Duration) func(context.Context) string {
	return func(ctx context.Context) string {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		if err := rdb.Ping(ctx).Err(); err != nil {
			return "redis unreachable"
		}
		return ""
	}
}

// HeightKnown is a Check that passes once latest reports a block.
func HeightKnown(latest func() (int64, bool)) func(context.Context) string {
	return func(context.Context) string {
		if _, ok := latest(); !ok {
			return "no block height yet"
		}
		return ""
	}
}

// KeysLoaded is a Check that passes while at least one supplier key is loaded.
func KeysLoaded(k KeySource) func(context.Context) string {
	return func(context.Context) string {
		if len(k.Addresses()) == 0 {
			return "no supplier keys loaded"
		}
		return ""
	}
}
