package cmd

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"
)

func waitDone(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not end", what)
	}
}

// The first SIGINT or SIGTERM ends the work and runs onSignal, but the members (Redis, the
// block feed…) keep running for the drain until stop, which then ends and waits for them.
func TestRunGroupSignalEndsWorkNotMembers(t *testing.T) {
	for _, s := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(s.String(), func(t *testing.T) {
			signalled := make(chan struct{})
			rg := startRunGroup(context.Background(), func() { close(signalled) })
			defer rg.release()
			memberDone := make(chan struct{})
			rg.Go(func(ctx context.Context) error {
				defer close(memberDone)
				<-ctx.Done()
				return ctx.Err()
			})
			if err := syscall.Kill(os.Getpid(), s); err != nil {
				t.Fatal(err)
			}
			waitDone(t, rg.work, "work")
			select {
			case <-signalled:
			case <-time.After(5 * time.Second):
				t.Fatal("onSignal did not run")
			}
			if rg.members.Err() != nil {
				t.Fatal("the members ended at the signal, before the drain")
			}
			if err := rg.stop(); err != nil {
				t.Fatalf("stop = %v, want nil: a member's cancellation is not an error", err)
			}
			<-memberDone
		})
	}
}

// A failing member ends the work too, and stop returns its error.
func TestRunGroupFailedMemberEndsWork(t *testing.T) {
	boom := errors.New("block feed: boom")
	rg := startRunGroup(context.Background(), func() {})
	defer rg.release()
	rg.Go(func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	rg.Go(func(context.Context) error { return boom })
	waitDone(t, rg.work, "work")
	if err := rg.stop(); !errors.Is(err, boom) {
		t.Fatalf("stop = %v, want %v", err, boom)
	}
}

// Ending parent ends the work and runs onSignal, as a signal does.
func TestRunGroupParentEndsWork(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	signalled := make(chan struct{})
	rg := startRunGroup(parent, func() { close(signalled) })
	defer rg.release()
	cancel()
	waitDone(t, rg.work, "work")
	<-signalled
	if rg.members.Err() != nil {
		t.Fatal("members ended with parent, before stop")
	}
	if err := rg.stop(); err != nil {
		t.Fatal(err)
	}
}
