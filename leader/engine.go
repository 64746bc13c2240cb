package leader

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// hooks connect the engine to the work a holding drives.
type hooks interface {
	// start begins the work of a new holding and returns at once; ctx is cancelled when the
	// holding ends. Called on the engine's goroutine.
	start(ctx context.Context, id string, f Fence)
	// stop returns once that work has finished; its ctx is already cancelled. Called on a
	// goroutine of its own; the engine releases a voluntarily ended lease only after it returned.
	stop(id string, f Fence, reason LossReason)
}

// holdState is where a holding is in its life.
type holdState int

const (
	// held: the work runs and the lease is renewed.
	held holdState = iota
	// stopping: given up voluntarily; the work is stopping and the lease is still renewed so
	// that nobody else starts before it has stopped.
	stopping
	// lost: ended involuntarily; the work is stopping, the lease is not renewed.
	lost
)

type holding struct {
	id        string
	fence     Fence
	lastRenew time.Time // send time of the last successful acquire or renew
	cancel    context.CancelFunc
	state     holdState
	reason    LossReason
}

// endEvent says that a holding's work returned on its own (Election's lead function).
type endEvent struct {
	id    string
	fence Fence
	err   error
}

// engine holds a set of leases for one holder: it acquires the ids plan wants, renews all held
// leases in one round per renewal period, enforces the demotion deadline and releases leases
// once their work has stopped. All state lives on the goroutine of run; Redis I/O runs on one
// round goroutine at a time so that a hung call never delays a demotion.
type engine struct {
	client     redis.UniversalClient
	cluster    bool
	kind       string
	holder     string
	ttl        time.Duration
	renewEvery time.Duration
	margin     time.Duration
	keyOf      func(id string) string
	// members is the replica sorted set; "" means no membership (the global election).
	members string
	// plan returns the ids to hold given the live replicas (sorted, including this one).
	plan  func(live []string) map[string]bool
	hooks hooks
	log   zerolog.Logger
	m     *metrics

	wake  chan struct{} // capacity 1: the plan's inputs changed
	ended chan endEvent

	mu   sync.Mutex
	view map[string]Fence // ids whose work runs now, for observers
}

// demoteMargin is how long before the earliest possible expiry a holder stops: it covers the
// drift between our clock and Redis' and the delivery of the cancellation.
func demoteMargin(ttl time.Duration) time.Duration { return ttl / 5 }

func validateTiming(ttl, renewEvery time.Duration) error {
	if ttl < 10*time.Millisecond {
		return fmt.Errorf("lease ttl %s: must be at least 10ms", ttl)
	}
	if renewEvery <= 0 || renewEvery > ttl/2 {
		return fmt.Errorf("lease renew period %s: must be positive and at most half the ttl (%s)", renewEvery, ttl)
	}
	return nil
}

// loop is the state of one run.
type loop struct {
	holdings  map[string]*holding
	desired   map[string]bool
	live      []string
	liveKnown bool
	release   []Fence // leases to give back in the next round
	inflight  bool
	shutting  bool
	workErr   error
	roundDone chan roundOut
	stopDone  chan *holding
	// base parents holding contexts and round I/O: not cancelled by Run's ctx, so leases are
	// still renewed while work stops during shutdown.
	base context.Context
}

func (e *engine) run(ctx context.Context) error {
	l := &loop{
		base:      context.WithoutCancel(ctx),
		holdings:  make(map[string]*holding),
		roundDone: make(chan roundOut, 1),
		stopDone:  make(chan *holding),
	}
	if e.members == "" {
		l.desired = e.plan(nil)
	}
	tick := time.NewTicker(e.renewEvery)
	defer tick.Stop()
	deadline := time.NewTimer(e.ttl)
	defer deadline.Stop()
	done := ctx.Done()
	e.startRound(l)
	for {
		if l.shutting && len(l.holdings) == 0 && !l.inflight {
			e.finish(l)
			return l.workErr
		}
		var deadlineC <-chan time.Time
		if d, ok := l.earliestDeadline(e.ttl - e.margin); ok {
			deadline.Reset(time.Until(d))
			deadlineC = deadline.C
		}
		select {
		case <-done:
			done = nil
			e.shutdown(l)
		case <-tick.C:
			if !l.inflight {
				e.startRound(l)
			}
		case <-e.wake:
			if l.liveKnown || e.members == "" {
				e.replan(l)
			}
			if !l.inflight {
				e.startRound(l)
			}
		case out := <-l.roundDone:
			l.inflight = false
			e.apply(l, out)
			if l.wantsNew(out.attempted) {
				// The plan grew in this round (a replica left): try at once, not a period later.
				e.startRound(l)
			}
		case h := <-l.stopDone:
			e.stopped(l, h)
		case ev := <-e.ended:
			e.workEnded(l, ev)
		case <-deadlineC:
			now := time.Now()
			for _, h := range l.holdings {
				if h.state != lost && !now.Before(h.lastRenew.Add(e.ttl-e.margin)) {
					e.lose(l, h, LossRedisError)
				}
			}
		}
	}
}

// earliestDeadline is the first moment a renewed holding must be demoted.
func (l *loop) earliestDeadline(budget time.Duration) (time.Time, bool) {
	var first time.Time
	found := false
	for _, h := range l.holdings {
		if h.state == lost {
			continue
		}
		d := h.lastRenew.Add(budget)
		if !found || d.Before(first) {
			first, found = d, true
		}
	}
	return first, found
}

// wantsNew reports whether the plan wants an id that is not held and was not just tried.
func (l *loop) wantsNew(attempted map[string]bool) bool {
	if l.shutting {
		return false
	}
	for id := range l.desired {
		if l.holdings[id] == nil && !attempted[id] {
			return true
		}
	}
	return false
}

func (e *engine) shutdown(l *loop) {
	l.shutting = true
	l.desired = nil
	for _, h := range l.holdings {
		if h.state == held {
			e.giveUp(l, h)
		}
	}
}

// replan recomputes the wanted ids and gives up held ones that are no longer wanted.
func (e *engine) replan(l *loop) {
	if l.shutting {
		return
	}
	l.desired = e.plan(l.live)
	for id, h := range l.holdings {
		if h.state == held && !l.desired[id] {
			e.giveUp(l, h)
		}
	}
}

// giveUp ends a holding voluntarily: its work is stopped and, once stopped, the lease released.
func (e *engine) giveUp(l *loop, h *holding) {
	h.state, h.reason = stopping, LossReleased
	e.ended1(h, LossReleased)
	e.spawnStop(l, h)
}

// lose ends a holding involuntarily. A holding already stopping is only marked, so it is neither
// renewed nor released any more.
func (e *engine) lose(l *loop, h *holding, reason LossReason) {
	prev := h.state
	h.state, h.reason = lost, reason
	if prev == stopping {
		return
	}
	e.ended1(h, reason)
	e.log.Warn().Str("lease", h.fence.Key).Int64("token", h.fence.Token).Str("reason", string(reason)).Msg("lease lost")
	e.spawnStop(l, h)
}

// ended1 records the end of a holding's work: cancel, metrics, observer view.
func (e *engine) ended1(h *holding, reason LossReason) {
	h.cancel()
	e.m.lost.WithLabelValues(e.kind, string(reason)).Inc()
	e.setView(h.id, Fence{}, false)
}

func (e *engine) spawnStop(l *loop, h *holding) {
	go func() {
		e.hooks.stop(h.id, h.fence, h.reason)
		l.stopDone <- h
	}()
}

// stopped runs once a holding's work has stopped.
func (e *engine) stopped(l *loop, h *holding) {
	delete(l.holdings, h.id)
	// A voluntary end is released now; after a Redis error the lease may still be ours, so a
	// compare-and-delete shortens the failover. Expired or stolen leases are not ours.
	if h.state == stopping || h.reason == LossRedisError {
		l.release = append(l.release, h.fence)
	}
}

func (e *engine) workEnded(l *loop, ev endEvent) {
	h := l.holdings[ev.id]
	if h == nil || h.fence.Value != ev.fence.Value || h.state != held {
		return // it ended because we stopped it
	}
	if ev.err != nil && !errors.Is(ev.err, context.Canceled) {
		if l.workErr == nil {
			l.workErr = fmt.Errorf("work under lease %s: %w", h.fence.Key, ev.err)
		}
		e.shutdown(l)
		return
	}
	e.giveUp(l, h)
}

// apply folds a finished round into the state.
func (e *engine) apply(l *loop, out roundOut) {
	for _, h := range l.holdings {
		if h.state == lost {
			continue
		}
		st, ok := out.renewed[h.fence.Value]
		switch {
		case !ok:
		case st == 1:
			if out.renewSent.After(h.lastRenew) {
				h.lastRenew = out.renewSent
			}
		case st == 0:
			e.lose(l, h, LossExpired)
		default:
			e.lose(l, h, LossStolen)
		}
	}
	if out.liveOK {
		l.live, l.liveKnown = out.live, true
		e.replan(l)
	}
	now := time.Now()
	for _, a := range out.acquired {
		if l.shutting || !l.desired[a.id] || l.holdings[a.id] != nil || !now.Before(a.sent.Add(e.ttl-e.margin)) {
			l.release = append(l.release, a.fence)
			continue
		}
		ctx, cancel := context.WithCancel(l.base)
		h := &holding{id: a.id, fence: a.fence, lastRenew: a.sent, cancel: cancel, state: held}
		l.holdings[a.id] = h
		e.m.acquired.WithLabelValues(e.kind).Inc()
		e.setView(a.id, a.fence, true)
		e.log.Info().Str("lease", a.fence.Key).Int64("token", a.fence.Token).Msg("lease acquired")
		e.hooks.start(ctx, a.id, a.fence)
	}
}

func (e *engine) setView(id string, f Fence, on bool) {
	e.mu.Lock()
	if on {
		e.view[id] = f
	} else {
		delete(e.view, id)
	}
	n := len(e.view)
	e.mu.Unlock()
	if e.kind == kindGlobal {
		e.m.isLeader.Set(float64(n))
	} else {
		e.m.owned.Set(float64(n))
	}
}

// owned returns the ids whose work runs now, sorted.
func (e *engine) owned() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, 0, len(e.view))
	for id := range e.view {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

func (e *engine) fence(id string) (Fence, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f, ok := e.view[id]
	return f, ok
}
