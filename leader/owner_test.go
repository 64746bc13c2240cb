package leader

import (
	"context"
	"sync"
	"testing"
)

type nopOwner struct{}

func (nopOwner) Acquired(context.Context, string, Fence) {}
func (nopOwner) Lost(string, Fence, LossReason)          {}

// fleet tracks, across all replicas of a test, who runs each supplier. It fails the test the
// moment a supplier is started while another replica still runs it.
type fleet struct {
	t     *testing.T
	mu    sync.Mutex
	owner map[string]string // supplier → replica whose work runs
	count map[string]int
	lost  map[LossReason]int
	token map[string]int64 // supplier → last token handed out
}

func newFleet(t *testing.T) *fleet {
	return &fleet{t: t, owner: map[string]string{}, count: map[string]int{}, lost: map[LossReason]int{}, token: map[string]int64{}}
}

// replica returns the Owner of one replica: it runs a worker per supplier that stops on ctx.
func (f *fleet) replica(name string) *fleetOwner {
	return &fleetOwner{f: f, name: name, workers: map[string]chan struct{}{}}
}

func (f *fleet) owned(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.count[name]
}

func (f *fleet) losses(r LossReason) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lost[r]
}

type fleetOwner struct {
	f       *fleet
	name    string
	mu      sync.Mutex
	workers map[string]chan struct{}
}

func (o *fleetOwner) Acquired(ctx context.Context, s string, fence Fence) {
	f := o.f
	f.mu.Lock()
	if prev, ok := f.owner[s]; ok {
		f.t.Errorf("supplier %s started on %s while %s still runs it", s, o.name, prev)
	}
	if fence.Token <= f.token[s] {
		f.t.Errorf("supplier %s: token %d after %d", s, fence.Token, f.token[s])
	}
	f.token[s] = fence.Token
	f.owner[s] = o.name
	f.count[o.name]++
	f.mu.Unlock()
	done := make(chan struct{})
	o.mu.Lock()
	o.workers[s] = done
	o.mu.Unlock()
	go func() { // the supplier's worker
		defer close(done)
		<-ctx.Done()
	}()
}

func (o *fleetOwner) Lost(s string, _ Fence, reason LossReason) {
	o.mu.Lock()
	done := o.workers[s]
	delete(o.workers, s)
	o.mu.Unlock()
	<-done
	f := o.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.owner[s] != o.name {
		f.t.Errorf("supplier %s lost by %s but tracked on %q", s, o.name, f.owner[s])
	}
	delete(f.owner, s)
	f.count[o.name]--
	f.lost[reason]++
}
