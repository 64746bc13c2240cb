package publish

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// fakePublisher records what it publishes; while failing is set it publishes nothing. gate, when
// set, blocks every call until a value arrives on it.
type fakePublisher struct {
	mu        sync.Mutex
	published []uint64 // ComputeUnitsPerRelay of each message, used as its id
	failing   bool
	gate      chan struct{}
	calls     int
}

func (f *fakePublisher) PublishBatch(ctx context.Context, msgs []transport.Message) ([]transport.Message, error) {
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return msgs, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.failing {
		return msgs, errors.New("redis down")
	}
	for i := range msgs {
		f.published = append(f.published, msgs[i].ComputeUnitsPerRelay)
	}
	return msgs[:0], nil
}

func (f *fakePublisher) setFailing(v bool) { f.mu.Lock(); f.failing = v; f.mu.Unlock() }

func (f *fakePublisher) ids() []uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]uint64(nil), f.published...)
}

func msg(id uint64) transport.Message {
	return transport.Message{ComputeUnitsPerRelay: id, Supplier: "pokt1s", SessionID: "s1"}
}

func newBacklog(t testing.TB, pub Publisher, cfg config.Publish) (*Backlog, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	b, err := New(pub, cfg, zerolog.Nop(), reg)
	if err != nil {
		t.Fatal(err)
	}
	b.backoffMin, b.backoffMax = time.Millisecond, 20*time.Millisecond
	return b, reg
}

// startRun runs b.Run until the returned stop is called; stop waits for it.
func startRun(b *Backlog) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = b.Run(ctx) }()
	return func() { cancel(); <-done }
}

// eventually polls cond on a ticker for up to 10s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}

func dropped(b *Backlog, r Reason) int {
	for i, x := range reasons {
		if x == r {
			return int(counterValue(b.m.dropped[i]))
		}
	}
	panic(fmt.Sprint("unknown reason ", r))
}

func seq(from, to uint64) []uint64 {
	var out []uint64
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

var testLog = zerolog.Nop()

func testReg() *prometheus.Registry { return prometheus.NewRegistry() }

// counterValue reads a counter without prometheus/testutil (whose dependencies are not in go.mod).
func counterValue(c prometheus.Metric) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	return m.GetCounter().GetValue()
}

// seriesCount counts the series of the metric family name in reg.
func seriesCount(reg *prometheus.Registry, name string) int {
	mfs, err := reg.Gather()
	if err != nil {
		panic(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return len(mf.GetMetric())
		}
	}
	return 0
}
