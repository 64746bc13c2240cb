package backend

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

// switchable answers the status it holds; the health path and the relay path share it.
func switchable(status *atomic.Int64, probes *atomic.Int64, hdr *atomic.Value) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			probes.Add(1)
			hdr.Store(r.Header.Clone())
		}
		w.WriteHeader(int(status.Load()))
	}
}

func TestHealthCheckFlipsReadiness(t *testing.T) {
	var status, probes atomic.Int64
	var hdr atomic.Value
	status.Store(200)
	s := server(t, switchable(&status, &probes, &hdr))
	cfg := backendCfg(s.URL + "/base/path?apikey=1")
	cfg.Headers = map[string]string{"X-Api-Key": "k"}
	cfg.HealthCheck = &config.HealthCheck{Path: "/health", Interval: 5 * time.Millisecond, Timeout: time.Second}
	rounds := make(chan struct{})
	p, reg := newPool(t, cfg, func(p *Pool) { p.afterRound = func() { rounds <- struct{}{} } })
	if p.Healthy() {
		t.Fatal("healthy before the first probe")
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() {
		cancel()
		go func() { // the loop may be blocked handing over a round
			for range rounds {
			}
		}()
		if err := <-done; err != nil {
			t.Error(err)
		}
		close(rounds)
	}()

	<-rounds
	if !p.Healthy() || value(t, p.eps[0].m.healthy) != 1 {
		t.Fatal("not healthy after a passing probe")
	}
	if h, _ := hdr.Load().(http.Header); h.Get("X-Api-Key") != "k" {
		t.Errorf("probe without the static headers: %v", h)
	}
	status.Store(503)
	<-rounds // a probe may have been in flight: wait for a full round after the switch
	<-rounds
	if p.Healthy() || value(t, p.eps[0].m.healthy) != 0 {
		t.Fatal("healthy after a failing probe")
	}
	status.Store(200)
	<-rounds
	<-rounds
	if !p.Healthy() {
		t.Fatal("not healthy again")
	}
	if probes.Load() < 5 {
		t.Errorf("%d probes", probes.Load())
	}
	if _, err := reg.Gather(); err != nil {
		t.Error(err)
	}
}

func TestHealthDeadEndpoint(t *testing.T) {
	var status, probes atomic.Int64
	var hdr atomic.Value
	status.Store(200)
	s := server(t, switchable(&status, &probes, &hdr))
	cfg := backendCfg(deadURL(t), s.URL)
	cfg.HealthCheck = &config.HealthCheck{Path: "/health", Interval: time.Hour, Timeout: time.Second}
	p, _ := newPool(t, cfg)
	p.probeAll(context.Background())
	if p.eps[0].healthy.Load() || !p.eps[1].healthy.Load() || !p.Healthy() {
		t.Fatalf("flags %v %v", p.eps[0].healthy.Load(), p.eps[1].healthy.Load())
	}
	// Round robin only uses the healthy endpoint.
	for range 4 {
		res, err := p.Do(context.Background(), postReq("/", "x"), Headers{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Endpoint != "1" || res.Attempts != 1 {
			t.Fatalf("endpoint %s attempts %d", res.Endpoint, res.Attempts)
		}
		res.Release()
	}
}

func TestRunWithoutHealthCheckWaits(t *testing.T) {
	p, _ := newPool(t, backendCfg("http://127.0.0.1:1"))
	if !p.Healthy() {
		t.Fatal("without checks an endpoint is healthy")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	select {
	case <-done:
		t.Fatal("Run returned before its context ended")
	default:
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestBreakerStates(t *testing.T) {
	const cool = int64(time.Second)
	var b breaker
	for i := range 4 {
		if b.failure(0, 5) {
			t.Fatalf("opened after %d failures", i+1)
		}
	}
	b.success() // resets the count
	for range 4 {
		b.failure(0, 5)
	}
	if b.isOpen() {
		t.Fatal("open after a success reset")
	}
	if !b.failure(10, 5) || !b.isOpen() {
		t.Fatal("not opened after 5 consecutive failures")
	}
	if b.allow(10+cool-1, cool) {
		t.Fatal("allowed during the cool-down")
	}
	if !b.allow(10+cool, cool) {
		t.Fatal("no probe after the cool-down")
	}
	if b.allow(10+cool, cool) {
		t.Fatal("a second probe while half-open")
	}
	b.failure(20+cool, 5) // the probe failed: open again, cool-down restarts
	if b.state.Load() != breakerOpen || b.allow(20+2*cool-1, cool) {
		t.Fatal("probe failure did not reopen")
	}
	if !b.allow(20+2*cool, cool) || !b.success() || b.isOpen() {
		t.Fatal("probe success did not close")
	}
	// A probe that never reports does not wedge the breaker.
	for range 5 {
		b.failure(100, 5)
	}
	if !b.allow(100+cool, cool) || b.allow(100+cool, cool) || !b.allow(100+2*cool, cool) {
		t.Fatal("lost probe wedged the breaker")
	}
}

func TestBreakerOneProbeUnderContention(t *testing.T) {
	var b breaker
	for range 5 {
		b.failure(0, 5)
	}
	var granted atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if b.allow(int64(time.Second), int64(time.Second)) {
				granted.Add(1)
			}
		}()
	}
	wg.Wait()
	if granted.Load() != 1 {
		t.Fatalf("%d probes granted", granted.Load())
	}
}

// A backend's 5xx answers are about the requests a client chose to send, not the endpoint
// being down: any number of them leaves the breaker closed and the pool healthy.
func TestBreaker5xxDoesNotOpen(t *testing.T) {
	var status, probes atomic.Int64
	var hdr atomic.Value
	status.Store(500)
	s := server(t, switchable(&status, &probes, &hdr))
	p, _ := newPool(t, backendCfg(s.URL), withClock(&fakeClock{}), WithBreaker(3, time.Second))
	for range 20 {
		res, err := p.Do(context.Background(), postReq("/", "x"), Headers{})
		if err != nil || res.StatusCode != 500 {
			t.Fatalf("%v", err)
		}
		res.Release()
	}
	if p.eps[0].br.isOpen() || value(t, p.eps[0].m.open) != 0 || !p.Healthy() {
		t.Fatal("twenty 5xx answers opened the breaker")
	}
}

// An endpoint that refuses connections opens its breaker and, without a health check, stays
// unhealthy past the cool-down until it accepts a connection again.
func TestBreakerRefusingEndpointStaysDown(t *testing.T) {
	url := deadURL(t)
	clk := &fakeClock{}
	p, _ := newPool(t, backendCfg(url), withClock(clk), WithBreaker(3, time.Second))
	ep := p.eps[0]
	for range 3 {
		if _, err := p.Do(context.Background(), postReq("/", "x"), Headers{}); ReasonOf(err) != ReasonDial {
			t.Fatalf("want a dial error, got %v", err)
		}
	}
	if !ep.br.isOpen() || value(t, ep.m.open) != 1 || p.Healthy() {
		t.Fatal("breaker not open after 3 refused connections")
	}
	clk.advance(time.Hour)
	if p.Healthy() {
		t.Fatal("healthy after the cool-down with no evidence the endpoint is back")
	}

	p.reachAll(context.Background()) // the round Run does every ReachInterval
	if p.Healthy() {
		t.Fatal("healthy while the endpoint still refuses connections")
	}
	l, err := net.Listen("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Skipf("port taken meanwhile: %v", err)
	}
	defer l.Close()
	p.reachAll(context.Background())
	if ep.br.isOpen() || value(t, ep.m.open) != 0 || !p.Healthy() {
		t.Fatal("not healthy after the endpoint accepted a connection")
	}
}

// With a health check, a passing probe is the evidence that closes an open breaker: a relayer
// that is not ready gets no relays that could close it.
func TestPassingHealthCheckClosesBreaker(t *testing.T) {
	var status, probes atomic.Int64
	var hdr atomic.Value
	status.Store(200)
	s := server(t, switchable(&status, &probes, &hdr))
	cfg := backendCfg(s.URL)
	cfg.HealthCheck = &config.HealthCheck{Path: "/health", Interval: time.Hour, Timeout: time.Second}
	p, _ := newPool(t, cfg, withClock(&fakeClock{}), WithBreaker(1, time.Second))
	p.reportFailure(p.eps[0], ReasonDial)
	p.probeAll(context.Background())
	if p.eps[0].br.isOpen() || !p.Healthy() {
		t.Fatal("breaker still open after a passing health check")
	}
}

// Without a health check, Run still runs reachability rounds (it used to only wait for ctx).
func TestRunWithoutHealthCheckProbesReach(t *testing.T) {
	var once sync.Once
	round := make(chan struct{})
	p, _ := newPool(t, backendCfg(deadURL(t)), func(p *Pool) { p.afterRound = func() { once.Do(func() { close(round) }) } })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	<-round
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
