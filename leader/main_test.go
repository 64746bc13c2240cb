package leader

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/shannon-ops/pocket-relay-miner/transport"
	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if cond() {
			return time.Since(start)
		}
		select {
		case <-deadline.C:
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		case <-tick.C:
		}
	}
}

// newClient returns a client from a redis URL, closed at cleanup (closing twice is harmless).
func newClient(t *testing.T, url string) redis.UniversalClient {
	t.Helper()
	c, err := transport.NewClient(url, transport.PoolOptions{ReadTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// runner runs fn on a goroutine until stopped; stop cancels and waits, and runs at cleanup.
type runner struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error
	once   sync.Once
}

func start(t *testing.T, fn func(ctx context.Context) error) *runner {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &runner{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = fn(ctx)
	}()
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *runner) stop(t *testing.T) error {
	t.Helper()
	r.once.Do(func() {
		r.cancel()
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
			t.Errorf("Run did not return within 10s of cancel")
			<-r.done
		}
	})
	return r.err
}

func nopLog() zerolog.Logger { return zerolog.Nop() }

var testKeys = transport.MustKeys("t")

const testTTL, testRenew = 500 * time.Millisecond, 100 * time.Millisecond

func newServer(t *testing.T) *redistest.Server { return redistest.Start(t) }
