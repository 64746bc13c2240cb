package relayer

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"
)

// The first relay of a session is verified in full (validateSlow): shared params, session,
// application, ring member keys, CUPR and difficulty, each a chain query on a cold cache. Under
// load that took seconds at every rollover, long enough for relays to be answered after the
// claim window opened. The prefetcher does those lookups itself, off the relay path, for every
// (application, service) the relayer verified a session of, so the first relays of the next
// session find everything in the L1 cache (and the other relayers of the fleet in L2).
//
// When: poktroll v0.1.35 (x/session/keeper/session_hydrator.go) refuses a session for a
// height above the last committed block, and derives the session id from the block hash at
// the session start, so the next session cannot be read before its first block is committed.
// Two steps follow:
//   - at the last block of a session, what the ring of each application at the next session's
//     end height is built from: the application, its members' public keys and the prepared
//     curve tables (ring.Verifier's cache, by member set). The ring itself is not stored yet:
//     a ring is kept for the whole session, and one built from the state a block before the
//     session could still hold a gateway that undelegates at its first block, which
//     poktroll's ring at the session end height no longer has;
//   - at the first block of a session, the ring (from the steps above: cached lookups, no
//     curve work unless the members changed), the session itself, the shared params, CUPR
//     and difficulty at its start height.
// Gateways learn of the new block at the same time as we do and still have their own session
// query to make before they sign a relay, so the lookups are usually done, or in flight and
// shared through the caches' single flight, when the first relay arrives.

// prefetchConcurrency bounds the lookups in flight at once, so a relayer serving thousands of
// applications does not open thousands of chain queries at the rollover block.
const prefetchConcurrency = 8

// prefetchPhase labels the two steps above.
type prefetchPhase uint8

const (
	phaseRing    prefetchPhase = iota // last block of a session: rings of the next one
	phaseSession                      // first block of a session: everything else
	numPhases
)

var phaseNames = [numPhases]string{"ring", "session"}

type pair struct{ app, service string }

// prefetcher runs one prefetch at a time: for each block of the stream when there is one
// (follow), else started by tick from housekeeping.
type prefetcher struct {
	v      *validator
	blocks func() BlockStream // nil: housekeeping ticks
	log    zerolog.Logger

	ctx    context.Context // set by start; nil until then: tick does nothing
	cancel context.CancelFunc
	wg     sync.WaitGroup
	busy   atomic.Bool
	last   int64 // last height a prefetch was started for; tick's caller only
	// ringPairs are the pairs of the last ring step, kept for the session step: housekeeping
	// may prune their sessions at the new session's first block (claim window open offset 0)
	// before the session step reads them. Read and written by run only, one run at a time.
	ringPairs []pair

	ok, failed [numPhases]prometheus.Counter
	duration   [numPhases]prometheus.Observer
}

func newPrefetcher(v *validator, blocks func() BlockStream, reg prometheus.Registerer, log zerolog.Logger) (*prefetcher, error) {
	total := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "relayminer", Name: "prefetches_total",
		Help: "(application, service) pairs whose next session was looked up ahead of its first relay, by phase (ring: last block of a session; session: first block of the next) and outcome.",
	}, []string{"phase", "outcome"})
	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "relayminer", Name: "prefetch_duration_seconds",
		Help:    "Time to prefetch every active (application, service) pair at a session boundary, by phase.",
		Buckets: []float64{.001, .005, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"phase"})
	for _, c := range []prometheus.Collector{total, dur} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	p := &prefetcher{v: v, blocks: blocks, log: log}
	for ph := range numPhases {
		p.ok[ph] = total.WithLabelValues(phaseNames[ph], "ok")
		p.failed[ph] = total.WithLabelValues(phaseNames[ph], "failed")
		p.duration[ph] = dur.WithLabelValues(phaseNames[ph])
	}
	return p, nil
}

// start enables tick, or follows the block stream; prefetches run under ctx until stop.
func (p *prefetcher) start(ctx context.Context) {
	p.ctx, p.cancel = context.WithCancel(ctx)
	if p.blocks == nil {
		return
	}
	sub := p.blocks()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer sub.Close()
		p.follow(p.ctx, sub)
	}()
}

// follow runs a prefetch for every block read, one after the other. A stream that keeps only
// the newest block skips the heights that came during a long run; run's prev handles that.
func (p *prefetcher) follow(ctx context.Context, sub BlockStream) {
	var prev int64
	for {
		b, err := sub.Next(ctx)
		if err != nil {
			return // ctx ended or the stream closed
		}
		if b.Height > prev {
			p.run(ctx, prev, b.Height)
			prev = b.Height
		}
	}
}

// poll is housekeeping's hook: it ticks unless blocks are followed.
func (p *prefetcher) poll(cur int64) {
	if p.blocks == nil {
		p.tick(cur)
	}
}

// stop cancels a prefetch in flight and waits for it.
func (p *prefetcher) stop() {
	if p.cancel != nil {
		p.cancel()
	}
	p.wg.Wait()
}

// tick starts a prefetch for height cur in the background unless one is still running (then
// the next tick tries again) or cur was already handled.
func (p *prefetcher) tick(cur int64) {
	if p.ctx == nil || cur <= 0 || cur == p.last || !p.busy.CompareAndSwap(false, true) {
		return
	}
	prev := p.last
	p.last = cur
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer p.busy.Store(false)
		p.run(p.ctx, prev, cur)
	}()
}

// run prefetches what height cur calls for, prev being the height of the previous run: the
// session's lookups at the first height seen in a session (its first block unless the feed
// skipped it), the rings of the next session at a session's last block, nothing in between.
// It reads the shared params at cur in every case, which the first relay of each block asks for.
func (p *prefetcher) run(ctx context.Context, prev, cur int64) {
	params, err := p.v.chain.SharedParamsAt(ctx, cur)
	if err != nil {
		p.log.Warn().Err(err).Int64("height", cur).Msg("prefetch: shared params")
		return
	}
	start, end := sharedtypes.GetSessionStartHeight(params, cur), sharedtypes.GetSessionEndHeight(params, cur)
	var phase prefetchPhase
	switch {
	case prev < start: // checked first: a one-block session starts and ends at the same height
		phase = phaseSession
	case cur == end:
		// The params of the next session are only final once it starts; a change taking
		// effect then at worst wastes the ring warm-up of this step.
		phase, start = phaseRing, end+1
		end = sharedtypes.GetSessionEndHeight(params, start)
	default:
		return
	}
	pairs := p.v.activePairs()
	if phase == phaseRing {
		p.ringPairs = pairs
	} else {
		pairs = union(pairs, p.ringPairs)
		p.ringPairs = nil
	}
	if len(pairs) == 0 {
		return
	}
	claimOpen := sharedtypes.GetClaimWindowOpenHeight(params, end)
	began := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(prefetchConcurrency)
	var failed atomic.Int64
	for _, pr := range pairs {
		g.Go(func() error {
			if err := p.one(gctx, phase, pr, start, end, claimOpen); err != nil {
				p.failed[phase].Inc()
				if failed.Add(1) == 1 { // one line per run, not one per pair
					p.log.Warn().Err(err).Str("application", pr.app).Str("service", pr.service).
						Str("phase", phaseNames[phase]).Int64("session_start", start).Msg("prefetch failed")
				}
				return nil // the others still run: a missing application must not stop them
			}
			p.ok[phase].Inc()
			return nil
		})
	}
	_ = g.Wait()
	p.duration[phase].Observe(time.Since(began).Seconds())
	p.log.Debug().Str("phase", phaseNames[phase]).Int64("session_start", start).Int("pairs", len(pairs)).
		Int64("failed", failed.Load()).Dur("took", time.Since(began)).Msg("prefetched")
}

// one does for pr what validateSlow will ask of the chain for the session [start, end].
func (p *prefetcher) one(ctx context.Context, phase prefetchPhase, pr pair, start, end, claimOpen int64) error {
	if phase == phaseRing {
		keys, err := p.v.rings.memberKeys(ctx, pr.app, end)
		if err != nil {
			return err
		}
		_, err = p.v.verifier.PrepareRing(keys) // warms the verifier's cache; not kept here
		return err
	}
	if _, err := p.v.rings.get(ctx, pr.app, end, claimOpen); err != nil {
		return err
	}
	if _, err := p.v.chain.Session(ctx, pr.app, pr.service, start); err != nil {
		return err
	}
	if _, err := p.v.chain.CUPRAt(ctx, pr.service, start); err != nil {
		return err
	}
	_, err := p.v.chain.DifficultyAt(ctx, pr.service, start)
	return err
}

// activePairs lists the (application, service) pairs of the verified sessions still cached:
// those of the session now ending or just ended (entries live until their claim window opens).
func (v *validator) activePairs() []pair {
	seen := map[pair]struct{}{}
	v.sessions.Range(func(_ sessionKey, e *sessionEntry) bool {
		seen[pair{e.header.ApplicationAddress, e.header.ServiceId}] = struct{}{}
		return true
	})
	out := make([]pair, 0, len(seen))
	for pr := range seen {
		out = append(out, pr)
	}
	return out
}

// union is a with the pairs of b it lacks.
func union(a, b []pair) []pair {
	seen := make(map[pair]struct{}, len(a))
	for _, pr := range a {
		seen[pr] = struct{}{}
	}
	for _, pr := range b {
		if _, ok := seen[pr]; !ok {
			a = append(a, pr)
		}
	}
	return a
}
