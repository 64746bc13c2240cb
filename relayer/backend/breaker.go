package backend

import (
	"sync/atomic"
	"time"
)

// Breaker defaults. An endpoint's breaker opens after DefaultBreakerFailures consecutive failed
// attempts (dial error, timeout or broken connection; never a 5xx answer) and lets one probe
// through after DefaultBreakerCooldown.
const (
	DefaultBreakerFailures = 5
	DefaultBreakerCooldown = 10 * time.Second
)

// Breaker states.
const (
	breakerClosed int32 = iota
	breakerOpen
	breakerHalfOpen
)

// breaker is one endpoint's circuit breaker. It is lock-free: the request path reads and
// updates it with atomics only.
//
//	closed --K consecutive failures--> open --cool-down elapsed, one caller wins--> half-open
//	half-open --probe succeeds--> closed;  half-open --probe fails--> open (cool-down restarts)
//
// A half-open probe that never reports (its client went away) does not wedge the breaker:
// after another cool-down a new probe is allowed.
type breaker struct {
	state    atomic.Int32
	failures atomic.Int32
	since    atomic.Int64 // clock reading when the breaker opened or the probe started
}

// allow reports whether an attempt may use the endpoint now. In the open or half-open state
// after the cool-down it grants the probe to exactly one caller.
func (b *breaker) allow(now, cooldown int64) bool {
	st := b.state.Load()
	if st == breakerClosed {
		return true
	}
	since := b.since.Load()
	if now-since < cooldown {
		return false
	}
	if !b.since.CompareAndSwap(since, now) {
		return false // another caller took the probe
	}
	b.state.Store(breakerHalfOpen)
	return true
}

// success records a good attempt; it reports whether the breaker closed because of it.
func (b *breaker) success() bool {
	if b.failures.Load() != 0 {
		b.failures.Store(0)
	}
	if b.state.Load() == breakerClosed {
		return false
	}
	return b.state.Swap(breakerClosed) != breakerClosed
}

// failure records a failed attempt; it reports whether the breaker opened because of it.
func (b *breaker) failure(now int64, threshold int32) bool {
	n := b.failures.Add(1)
	switch b.state.Load() {
	case breakerHalfOpen:
		b.since.Store(now)
		b.state.Store(breakerOpen)
		return false // already counted as open
	case breakerClosed:
		if n < threshold {
			return false
		}
		b.since.Store(now)
		return b.state.CompareAndSwap(breakerClosed, breakerOpen)
	}
	return false
}

// isOpen reports whether the breaker is open or half-open.
func (b *breaker) isOpen() bool { return b.state.Load() != breakerClosed }
