package miner

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/leader"
	"github.com/shannon-ops/pocket-relay-miner/transport"
	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

// svTracker records, across replicas, which supplier runs where and every ordering violation:
// two workers of one supplier at once, or a worker still running after its lease was
// released.
type svTracker struct {
	rdb redis.UniversalClient

	mu         sync.Mutex
	running    map[string]string // supplier → replica
	starts     map[string]int    // replica → workers started
	violations []string
}

func (tr *svTracker) enter(replica, supplier string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if other, ok := tr.running[supplier]; ok {
		tr.violations = append(tr.violations, fmt.Sprintf("%s started on %s while running on %s", supplier, replica, other))
	}
	tr.running[supplier] = replica
	tr.starts[replica]++
}

// leave runs as the worker's last act: the lease must still be this holding's.
func (tr *svTracker) leave(replica, supplier string, f leader.Fence) {
	held, err := tr.rdb.Get(context.Background(), f.Key).Result()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if err != nil || held != f.Value {
		tr.violations = append(tr.violations, fmt.Sprintf("%s on %s: lease was %q (err %v) while its worker ran, want %q",
			supplier, replica, held, err, f.Value))
	}
	delete(tr.running, supplier)
}

func (tr *svTracker) where() map[string]string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	out := make(map[string]string, len(tr.running))
	for k, v := range tr.running {
		out[k] = v
	}
	return out
}

// svReplica is an Ownership whose Supervisor starts tracked stand-in workers (the stop order is
// what is under test, not the mining).
type svReplica struct {
	own    *leader.Ownership
	sup    *Supervisor
	cancel context.CancelFunc
	done   chan error
}

func svStart(t *testing.T, rdb redis.UniversalClient, keys transport.Keys, id string, tr *svTracker, suppliers []string) *svReplica {
	t.Helper()
	sup := &Supervisor{log: zerolog.Nop(), workers: map[string]*worker{}}
	sup.start = func(lease context.Context, supplier string, fence leader.Fence) *worker {
		ctx, cancel := context.WithCancel(lease)
		w := &worker{fence: fence, cancel: cancel, done: make(chan struct{})}
		tr.enter(id, supplier)
		go func() {
			defer close(w.done)
			<-ctx.Done()
			tr.leave(id, supplier, fence)
		}()
		return w
	}
	own, err := leader.NewOwnership(rdb, keys, id, 900*time.Millisecond, 150*time.Millisecond, sup, zerolog.Nop(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	own.SetSuppliers(suppliers)
	ctx, cancel := context.WithCancel(context.Background())
	r := &svReplica{own: own, sup: sup, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- own.Run(ctx) }()
	t.Cleanup(r.stop)
	return r
}

// stop ends the replica's Ownership and waits: every worker stops, then leases are released.
func (r *svReplica) stop() {
	r.cancel()
	if r.done != nil {
		<-r.done
		r.done = nil
	}
	r.sup.Stop()
}

func svEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("%s: not within 20s", what)
		}
	}
}

// TestSupervisorStopsWorkersBeforeRelease: leases move between replicas as they join and leave;
// a supplier never runs on two replicas at once, and every worker has stopped while its lease
// was still held (Lost returns only after the worker stopped; the lease is released after).
func TestSupervisorStopsWorkersBeforeRelease(t *testing.T) {
	rdb := redistest.Start(t).Client()
	keys := transport.MustKeys("sv")
	tr := &svTracker{rdb: rdb, running: map[string]string{}, starts: map[string]int{}}
	suppliers := []string{"pokt1supplieraaa", "pokt1supplierbbb", "pokt1suppliercc", "pokt1supplierddd"}

	a := svStart(t, rdb, keys, "replica-a", tr, suppliers)
	svEventually(t, "replica-a owns every supplier", func() bool { return len(a.sup.Owned()) == len(suppliers) })

	b := svStart(t, rdb, keys, "replica-b", tr, suppliers)
	svEventually(t, "suppliers spread over both replicas", func() bool {
		return len(a.sup.Owned()) > 0 && len(b.sup.Owned()) > 0 && len(tr.where()) == len(suppliers)
	})

	a.stop() // graceful: workers stop, then leases are released
	if n := len(a.sup.Owned()); n != 0 {
		t.Fatalf("replica-a still has %d workers after its Ownership returned", n)
	}
	svEventually(t, "replica-b owns every supplier", func() bool {
		w := tr.where()
		if len(w) != len(suppliers) {
			return false
		}
		for _, r := range w {
			if r != "replica-b" {
				return false
			}
		}
		return true
	})
	b.stop()
	if w := tr.where(); len(w) != 0 {
		t.Fatalf("workers still running after both replicas stopped: %v", w)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.violations) > 0 {
		t.Fatalf("ordering violations:\n%v", tr.violations)
	}
	t.Logf("workers started: %v", tr.starts)
}
