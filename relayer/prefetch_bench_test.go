package relayer

import (
	"context"
	"fmt"
	"slices"
	"strings"
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
// every query takes 50 ms: one iteration is one rollover, after which 200 relays of the new
// session arrive at 500 relays/s (one every 2 ms, each validated on its own goroutine as the
// server does). It reports the p99 of the first 100 and of the next 100 (steady state),
// without and with the prefetch at the session's first block (and the rings at the block
// before).
//
//	go test ./relayer -run '^$' -bench Rollover -benchtime 10x
func BenchmarkRollover(b *testing.B) {
	const burst, delay, every = 100, 50 * time.Millisecond, 2 * time.Millisecond
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
				lat := validatePaced(b, f, reqs, every)
				first, steady = append(first, lat[:burst]...), append(steady, lat[burst:]...)
			}
			b.StopTimer()
			b.ReportMetric(p99(first).Seconds()*1e3, "p99-first-ms")
			b.ReportMetric(p99(steady).Seconds()*1e3, "p99-steady-ms")
			b.Logf("first %d relays of %d sessions: %s", burst, b.N, histogram(first))
			b.Logf("next %d relays (steady state): %s", burst, histogram(steady))
		})
	}
}

// validatePaced starts validating one of reqs every interval, each on its own goroutine, and
// returns each one's latency.
func validatePaced(b *testing.B, f *fixture, reqs []*servicetypes.RelayRequest, every time.Duration) []time.Duration {
	out := make([]time.Duration, len(reqs))
	var wg sync.WaitGroup
	tick := time.NewTicker(every)
	defer tick.Stop()
	for j, req := range reqs {
		<-tick.C
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

// histogram renders d in the buckets of relay_stage_duration_seconds up to 1 s: the count of
// latencies at or under each bound, as the relayer's /metrics would show them.
func histogram(d []time.Duration) string {
	bounds := []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}
	var sb strings.Builder
	for _, le := range bounds {
		n := 0
		for _, x := range d {
			if x.Seconds() <= le {
				n++
			}
		}
		fmt.Fprintf(&sb, "le=%g:%d ", le, n)
	}
	fmt.Fprintf(&sb, "count=%d", len(d))
	return sb.String()
}
