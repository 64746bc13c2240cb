package miner

import (
	"context"
	"sync"

	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/leader"
)

// Supervisor turns supplier leases into workers: it is the leader.Owner of a replica's
// Ownership. Acquired starts the supplier's worker under the holding's context and returns at
// once; Lost stops it and returns only once nothing of the supplier runs here, so the lease is
// released (and another replica starts) only after this replica stopped writing. Entries the
// stopped worker read but did not commit stay pending in the stream for the next owner.
type Supervisor struct {
	start func(lease context.Context, supplier string, fence leader.Fence) *worker
	log   zerolog.Logger

	mu      sync.Mutex
	workers map[string]*worker // by supplier
}

var _ leader.Owner = (*Supervisor)(nil)

func newSupervisor(d *workerDeps, log zerolog.Logger) *Supervisor {
	return &Supervisor{
		start: func(lease context.Context, supplier string, fence leader.Fence) *worker {
			return startWorker(lease, d, supplier, fence)
		},
		log:     log,
		workers: map[string]*worker{},
	}
}

// Acquired starts the supplier's worker.
func (s *Supervisor) Acquired(ctx context.Context, supplier string, fence leader.Fence) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.workers[supplier]; ok {
		// Ownership reports Lost before a new holding; a leftover worker is stopped by its
		// own (cancelled) lease context. Keep it stoppable from Stop.
		s.log.Warn().Str("supplier", supplier).Int64("old_fence", old.fence.Token).Int64("fence", fence.Token).
			Msg("supplier acquired while its previous worker is registered")
		old.cancel()
	}
	s.workers[supplier] = s.start(ctx, supplier, fence)
}

// Lost stops the supplier's worker of that holding and waits for it.
func (s *Supervisor) Lost(supplier string, fence leader.Fence, reason leader.LossReason) {
	s.mu.Lock()
	w, ok := s.workers[supplier]
	if ok && w.fence.Token != fence.Token {
		ok = false // a newer holding's worker: not this one's to stop
	}
	if ok {
		delete(s.workers, supplier)
	}
	s.mu.Unlock()
	if !ok {
		return
	}
	err := w.stop()
	ev := s.log.Info()
	if err != nil {
		ev = s.log.Warn().Err(err)
	}
	ev.Str("supplier", supplier).Str("reason", string(reason)).Int64("fence", fence.Token).Msg("supplier released by this replica")
}

// Owned returns the suppliers with a running or stopping worker.
func (s *Supervisor) Owned() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.workers))
	for id := range s.workers {
		out = append(out, id)
	}
	return out
}

// Stop stops every remaining worker and waits; Ownership.Run already does so through Lost
// when it ends, so this only covers a replica whose Ownership never ran to its end.
func (s *Supervisor) Stop() {
	s.mu.Lock()
	ws := s.workers
	s.workers = map[string]*worker{}
	s.mu.Unlock()
	for _, w := range ws {
		_ = w.stop()
	}
}
