package relayer

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/transport"
	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

// sentCounter counts the commands other than PING (the health probe's) that get past the
// hooks added after it, i.e. that go to the network.
type sentCounter struct{ n atomic.Int64 }

func (d *sentCounter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (d *sentCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() != "ping" {
			d.n.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (d *sentCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		d.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// With the meter failing closed, the relayer refuses every relay while Redis is down, so it is
// not ready exactly then; and while Redis is known down the meter answers without touching the
// network (no dial per relay), so refusals cost nothing.
func TestReadyFollowsRedisWithMeterFailClosed(t *testing.T) {
	rs := redistest.Start(t)
	rdb := redisClient(t, rs)
	changes := make(chan bool, 16)
	var refresh atomic.Pointer[func()] // the server's RefreshReadiness, as cmd wires it
	health, err := transport.NewHealth(rdb, transport.HealthOptions{Component: "relayer", Target: rs.URL(), FailFast: true,
		OnChange: func(up bool) {
			if f := refresh.Load(); f != nil {
				(*f)()
			}
			changes <- up
		}}, zerolog.Nop(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	sent := &sentCounter{}
	rdb.AddHook(sent) // inner: go-redis runs hooks in the order added, so it sees what passes the gate
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- health.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if err := health.WaitUp(ctx); err != nil {
		t.Fatal(err)
	}
	<-changes

	var reported atomic.Bool // what /ready would answer
	f := newFixture(t, withStakeMeter(rdb), func(f *fixture) {
		f.cfg.Meter = config.Meter{Enabled: true, FailMode: config.FailClosed}
		f.redisUp = health.Up
		f.ready = func(ok bool, _ string) { reported.Store(ok) }
	})
	rr := f.srv.RefreshReadiness
	refresh.Store(&rr)
	f.srv.RefreshReadiness()
	if ok, why := f.srv.readiness(); !ok {
		t.Fatalf("not ready with Redis up: %s", why)
	}
	f.serve(f.body(f.request(nil)))
	if f.rejected(testService, reasonMeterUnavailable) != 0 {
		t.Fatal("relay refused with Redis up")
	}

	rs.Kill()
	f.serve(f.body(f.request(nil))) // the first failure marks Redis down
	if up := <-changes; up {
		t.Fatal("Redis not marked down")
	}
	if ok, _ := f.srv.readiness(); ok {
		t.Fatal("ready while the fail-closed meter refuses every relay")
	}
	if reported.Load() {
		t.Fatal("readiness not reported down at once when Redis went down")
	}
	before := sent.n.Load()
	for range 20 {
		f.serve(f.body(f.request(nil)))
	}
	if n := sent.n.Load() - before; n != 0 {
		t.Fatalf("meter sent %d commands to Redis while it was known down; want fail fast", n)
	}
	if got := f.rejected(testService, reasonMeterUnavailable); got != 21 {
		t.Fatalf("meter_unavailable refusals %v, want 21", got)
	}

	if err := rs.Restart(); err != nil {
		t.Fatal(err)
	}
	if up := <-changes; !up {
		t.Fatal("Redis not marked up after restart")
	}
	if ok, why := f.srv.readiness(); !ok {
		t.Fatalf("not ready after Redis came back: %s", why)
	}
	if !reported.Load() {
		t.Fatal("readiness not reported up at once when Redis came back")
	}
	f.serve(f.body(f.request(nil)))
	if got := f.rejected(testService, reasonMeterUnavailable); got != 21 {
		t.Fatal("relay refused after Redis came back")
	}
}

// With the meter failing open Redis is not needed to serve, so it does not gate readiness.
func TestReadyIgnoresRedisWithMeterFailOpen(t *testing.T) {
	f := newFixture(t, func(f *fixture) {
		f.cfg.Meter = config.Meter{Enabled: true, FailMode: config.FailOpen}
		f.redisUp = func() bool { return false }
	})
	if ok, why := f.srv.readiness(); !ok {
		t.Fatalf("not ready: %s", why)
	}
}

// Without a supplier key every relay is refused, so the relayer is not ready.
func TestReadyNeedsKeys(t *testing.T) {
	var loaded atomic.Bool
	f := newFixture(t, func(f *fixture) { f.keysLoaded = loaded.Load })
	if ok, _ := f.srv.readiness(); ok {
		t.Fatal("ready with no supplier key loaded")
	}
	loaded.Store(true)
	if ok, why := f.srv.readiness(); !ok {
		t.Fatalf("not ready with keys: %s", why)
	}
}

// No relay is refused not_ready by a relayer that reports ready, and vice versa: both follow
// the block height through heightKnown.
func TestReadyAndNotReadyRefusalAgree(t *testing.T) {
	f := newFixture(t)
	f.heights.h.Store(0)
	if ok, _ := f.srv.readiness(); ok {
		t.Fatal("ready without a block height")
	}
	f.serve(f.body(f.request(nil)))
	if f.rejected(testService, reasonNotReady) != 1 {
		t.Fatal("relay without a block height not refused not_ready")
	}
	f.heights.h.Store(5)
	if ok, why := f.srv.readiness(); !ok {
		t.Fatalf("not ready with a height: %s", why)
	}
	f.serve(f.body(f.request(nil)))
	if f.rejected(testService, reasonNotReady) != 1 {
		t.Fatal("relay refused not_ready by a ready relayer")
	}
}
