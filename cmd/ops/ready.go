package ops

import (
	"slices"
	"sync"
	"sync/atomic"
)

// Readiness aggregates named conditions into one ready/not-ready answer.
type Readiness struct {
	stopping atomic.Bool

	mu    sync.RWMutex
	conds map[string]*Condition
}

// NewReadiness returns a Readiness with no conditions: ready until something registers.
func NewReadiness() *Readiness {
	return &Readiness{conds: map[string]*Condition{}}
}

// Condition is one named readiness requirement, false until Set(true).
type Condition struct {
	ok     atomic.Bool
	reason atomic.Pointer[string]
}

// Set records whether the condition holds and, when it does not, why.
func (c *Condition) Set(ok bool, reason string) {
	if !ok && reason != "" {
		c.reason.Store(&reason)
	}
	c.ok.Store(ok)
}

// OK reports whether the condition holds.
func (c *Condition) OK() bool { return c.ok.Load() }

// Register adds a condition that starts false. Registering a name twice returns the same
// condition, so a restarted component cannot leave a stale one behind.
func (r *Readiness) Register(name string) *Condition {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.conds[name]; ok {
		return c
	}
	c := &Condition{}
	r.conds[name] = c
	return c
}

// SetStopping marks the process as draining; Ready is false from then on.
func (r *Readiness) SetStopping() { r.stopping.Store(true) }

// Status returns whether the process is ready and the conditions that are not, sorted.
func (r *Readiness) Status() (ready bool, failing []string) {
	if r.stopping.Load() {
		return false, []string{"stopping"}
	}
	r.mu.RLock()
	for name, c := range r.conds {
		if !c.OK() {
			msg := name
			if p := c.reason.Load(); p != nil {
				msg += ": " + *p
			}
			failing = append(failing, msg)
		}
	}
	r.mu.RUnlock()
	slices.Sort(failing)
	return len(failing) == 0, failing
}
