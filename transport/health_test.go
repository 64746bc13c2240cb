package transport

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

// startHealth builds a fail-fast client of s with a Health whose transitions are sent on the
// returned channel, and runs it until the test ends.
func startHealth(t *testing.T, s *redistest.Server, readTimeout time.Duration) (*Health, chan bool) {
	t.Helper()
	rdb, err := NewClient(s.URL(), PoolOptions{DialTimeout: readTimeout, ReadTimeout: readTimeout, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	changes := make(chan bool, 16)
	h, err := NewHealth(rdb, HealthOptions{Component: "relayer", Target: s.URL(), FailFast: true,
		OnChange: func(up bool) { changes <- up }}, zerolog.Nop(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return h, changes
}

// A client built while Redis is down answers ErrRedisDown at once, becomes healthy when Redis
// starts, fails fast again after a crash (one outage counted) and recovers after a restart.
func TestHealthOutageAndRecovery(t *testing.T) {
	s := redistest.Start(t)
	s.Kill() // down before the client exists
	h, changes := startHealth(t, s, 5*time.Second)
	rdb := h.rdb
	ctx := context.Background()

	// Fail fast: no dial is even tried while down, so the configured 5 s timeouts do not apply.
	if err := rdb.Set(ctx, "k", "v", 0).Err(); !errors.Is(err, ErrRedisDown) {
		t.Fatalf("while down before start: got %v, want ErrRedisDown", err)
	}
	if h.Up() || metricValue(h.upGauge) != 0 {
		t.Fatal("up before Redis ever answered")
	}

	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := h.WaitUp(ctx); err != nil {
		t.Fatal(err)
	}
	if up := <-changes; !up {
		t.Fatal("first transition was not up")
	}
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("after Redis started: %v", err)
	}
	if metricValue(h.outages) != 0 {
		t.Fatal("the wait at start counted as an outage")
	}

	s.Kill()
	if err := rdb.Get(ctx, "k").Err(); err == nil || errors.Is(err, ErrRedisDown) {
		t.Fatalf("first command after the crash: got %v, want a connection error", err)
	}
	if up := <-changes; up {
		t.Fatal("no down transition after a connection failure")
	}
	for range 100 { // a burst of relays' meter calls during the outage: none touches the network
		if err := rdb.Incr(ctx, "n").Err(); !errors.Is(err, ErrRedisDown) {
			t.Fatalf("during the outage: got %v, want ErrRedisDown", err)
		}
	}
	if metricValue(h.outages) != 1 || metricValue(h.upGauge) != 0 {
		t.Fatal("outage not exported")
	}

	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if up := <-changes; !up {
		t.Fatal("no recovery transition")
	}
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if metricValue(h.upGauge) != 1 || metricValue(h.outages) != 1 {
		t.Fatal("recovery not exported")
	}
}

func TestConnFailureIgnoresReplies(t *testing.T) {
	for _, err := range []error{ErrRedisDown, context.Canceled, errors.New("x")} {
		if connFailure(err) {
			t.Errorf("%v counted as a connection failure", err)
		}
	}
}

// metricValue reads a gauge or counter (prometheus/testutil's dependencies are not in go.mod).
func metricValue(c prometheus.Metric) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	if m.Gauge != nil {
		return m.GetGauge().GetValue()
	}
	return m.GetCounter().GetValue()
}
