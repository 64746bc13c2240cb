package relayer

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	apptypes "github.com/pokt-network/poktroll/x/application/types"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"

	"github.com/shannon-ops/pocket-relay-miner/cache"
	"github.com/shannon-ops/pocket-relay-miner/query"
)

// slowQuerier adds a fixed delay to every chain query: a node under load (RELAYER
// BENCHMARKS.md, "Session rollover").
type slowQuerier struct {
	q     cache.Querier
	delay time.Duration
}

func (s slowQuerier) wait() { time.Sleep(s.delay) }

func (s slowQuerier) Session(ctx context.Context, app, service string, height int64) (*sessiontypes.Session, error) {
	s.wait()
	return s.q.Session(ctx, app, service, height)
}

func (s slowQuerier) SharedParamsAtHeight(ctx context.Context, height int64) (*sharedtypes.Params, int64, error) {
	s.wait()
	return s.q.SharedParamsAtHeight(ctx, height)
}

func (s slowQuerier) Application(ctx context.Context, address string) (*apptypes.Application, error) {
	s.wait()
	return s.q.Application(ctx, address)
}

func (s slowQuerier) Supplier(ctx context.Context, operator string) (*sharedtypes.Supplier, error) {
	s.wait()
	return s.q.Supplier(ctx, operator)
}

func (s slowQuerier) ComputeUnitsPerRelayAtHeight(ctx context.Context, service string, height int64) (uint64, int64, error) {
	s.wait()
	return s.q.ComputeUnitsPerRelayAtHeight(ctx, service, height)
}

func (s slowQuerier) RelayMiningDifficultyAtHeight(ctx context.Context, service string, height int64) (*servicetypes.RelayMiningDifficulty, int64, error) {
	s.wait()
	return s.q.RelayMiningDifficultyAtHeight(ctx, service, height)
}

func (s slowQuerier) Account(ctx context.Context, address string) (query.Account, error) {
	s.wait()
	return s.q.Account(ctx, address)
}

// BenchmarkRollover measures the validate stage across session rollovers on a chain whose
// every query takes 50 ms: one iteration is one rollover, at which 100 relays of the new
// session arrive at once (the gateway's burst), then 100 more once the session is warm. It
// reports the p99 of each group, without and with the prefetch at the session's first block
// (and the rings at the block before).
//
//	go test ./relayer -run '^$' -bench Rollover -benchtime 10x
func BenchmarkRollover(b *testing.B) {
	const burst, delay = 100, 50 * time.Millisecond
	for _, prefetch := range []bool{false, true} {
		name := "cold"
		if prefetch {
			name = "prefetched"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			var cc cachedChain
			f := newFixture(b, withCachedChain(&cc, delay))
			cc.at(f, 2)
			if _, err := f.srv.v.validate(ctx, f.sessionRequest(1)); err != nil {
				b.Fatal(err)
			}
			var first, steady []time.Duration
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				start := int64(5 + 4*i)
				cc.at(f, start-1)
				if prefetch {
					f.srv.prefetch.run(ctx, start-2, start-1)
				}
				cc.at(f, start)
				f.srv.v.prune(start)
				reqs := make([]*servicetypes.RelayRequest, 2*burst)
				for j := range reqs {
					reqs[j] = f.sessionRequest(start)
				}
				if prefetch {
					f.srv.prefetch.run(ctx, start-1, start)
				}
				b.StartTimer()
				first = append(first, validateAll(b, f, reqs[:burst])...)
				steady = append(steady, validateAll(b, f, reqs[burst:])...)
			}
			b.StopTimer()
			b.ReportMetric(p99(first).Seconds()*1e3, "p99-first-ms")
			b.ReportMetric(p99(steady).Seconds()*1e3, "p99-steady-ms")
		})
	}
}

// validateAll validates reqs concurrently and returns each one's latency.
func validateAll(b *testing.B, f *fixture, reqs []*servicetypes.RelayRequest) []time.Duration {
	out := make([]time.Duration, len(reqs))
	var wg sync.WaitGroup
	for j, req := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			if _, err := f.srv.v.validate(context.Background(), req); err != nil {
				b.Error(err)
			}
			out[j] = time.Since(t0)
		}()
	}
	wg.Wait()
	return out
}

func p99(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)*99-1)/100]
}
