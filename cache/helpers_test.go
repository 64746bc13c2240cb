package cache

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/shannon-ops/pocket-relay-miner/transport"
)

var testKeys = transport.MustKeys("t")

// cmdCounter is a go-redis hook that counts commands sent to Redis.
type cmdCounter struct{ n atomic.Int64 }

func (c *cmdCounter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *cmdCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}
func (c *cmdCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// process is one simulated relay-miner process: its own Redis client, Hub and registry.
type process struct {
	rdb  redis.UniversalClient
	hub  *Hub
	reg  *prometheus.Registry
	cmds *cmdCounter
}

// newProcess builds a process on rdb; run starts the Hub's subscriber until the test ends.
func newProcess(t *testing.T, rdb redis.UniversalClient, run bool) *process {
	t.Helper()
	p := &process{rdb: rdb, reg: prometheus.NewRegistry(), cmds: &cmdCounter{}}
	rdb.AddHook(p.cmds)
	p.hub = NewHub(rdb, testKeys, p.reg)
	t.Cleanup(func() { _ = rdb.Close() })
	if run {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- p.hub.Run(ctx) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("hub run: %v", err)
			}
		})
		select {
		case <-p.hub.Ready():
		case err := <-done:
			t.Fatalf("hub run: %v", err)
		case <-time.After(5 * time.Second):
			t.Fatal("hub not subscribed after 5s")
		}
	}
	return p
}

// counter returns the value of the counter name with labels.
func counter(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if matches(m, labels) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func matches(m *dto.Metric, labels map[string]string) bool {
	n := 0
	for _, lp := range m.GetLabel() {
		if v, ok := labels[lp.GetName()]; ok {
			if v != lp.GetValue() {
				return false
			}
			n++
		}
	}
	return n == len(labels)
}

// eventually polls cond every 10ms until it holds or 5s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(5 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}

// countingLoader returns values from vals (by key) and counts calls; gate, when not nil,
// blocks every call until closed; fail, when it holds an error, is returned instead.
type countingLoader struct {
	mu    sync.Mutex
	calls int
	vals  map[string]uint64
	fail  error
	gate  chan struct{}
	began chan struct{} // receives one token per call, if not nil
}

func (l *countingLoader) load(ctx context.Context, key string) (uint64, error) {
	l.mu.Lock()
	l.calls++
	gate, began, fail, v := l.gate, l.began, l.fail, l.vals[key]
	l.mu.Unlock()
	if began != nil {
		select {
		case began <- struct{}{}:
		default:
		}
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	return v, fail
}

func (l *countingLoader) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls
}

func (l *countingLoader) set(key string, v uint64, fail error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.vals[key] = v
	l.fail = fail
}

func newUintCache(t *testing.T, p *process, kind Kind, l *countingLoader, live bool) *Cache[string, uint64] {
	t.Helper()
	c, err := New(p.hub, Options[string, uint64]{
		Kind: kind, Codec: Uint64Codec(), Load: l.load, Live: live,
		Validate: func(v uint64) error {
			if v == 0 {
				return errZero
			}
			return nil
		},
		PollInterval: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type zeroErr struct{}

func (zeroErr) Error() string { return "zero" }

var errZero error = zeroErr{}

// deadAddr returns a loopback address nothing listens on: listen, then close.
func deadAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}
