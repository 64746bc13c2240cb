package cmd

import (
	"context"
	"errors"
	"os/signal"
	"syscall"

	"golang.org/x/sync/errgroup"
)

// runGroup is the lifetime of a running relayer or miner, in the shape of Prometheus's
// run.Group. Its members (the shared infrastructure and the process's background components)
// run in one errgroup under a context of their own, which outlives the first signal so the
// drain can still use Redis and the block feed. work, the context of the process's main job,
// ends at the first SIGINT/SIGTERM, when parent ends, or as soon as any member fails.
type runGroup struct {
	g       *errgroup.Group
	members context.Context
	work    context.Context
	cancel  context.CancelFunc // ends the members
	release func()
}

// startRunGroup starts listening for SIGINT/SIGTERM; onSignal runs at the first one (or when
// parent ends). The caller adds members with Go, does its work until work ends, drains, then
// calls stop; release (deferred) frees the signal handler.
func startRunGroup(parent context.Context, onSignal func()) *runGroup {
	sig, stopSignals := signal.NotifyContext(parent, syscall.SIGINT, syscall.SIGTERM)
	context.AfterFunc(sig, onSignal)
	infra, cancelInfra := context.WithCancel(context.WithoutCancel(parent))
	g, members := errgroup.WithContext(infra)
	work, cancelWork := context.WithCancel(sig)
	context.AfterFunc(members, cancelWork) // a failed member stops the work too
	return &runGroup{g: g, members: members, work: work, cancel: cancelInfra,
		release: func() { cancelWork(); cancelInfra(); stopSignals() }}
}

// Go runs f as a member until stop, or until another member fails.
func (r *runGroup) Go(f func(context.Context) error) {
	r.g.Go(func() error { return f(r.members) })
}

// stop ends the members and waits for all of them; the first error of a failed member is
// returned, their cancellation is not an error.
func (r *runGroup) stop() error {
	r.cancel()
	err := r.g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
