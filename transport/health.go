package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// ErrRedisDown is returned at once, without touching the network, by a fail-fast client while
// Redis is known to be unreachable.
var ErrRedisDown = errors.New("redis known down; waiting for the background probe")

// Health defaults.
const (
	DefaultProbeInterval = 500 * time.Millisecond // PING period while Redis is down
	probeTimeout         = time.Second
	waitLogEvery         = 10 * time.Second // "waiting for redis" while it never answered
)

// Health tracks whether Redis answers. Every command of the client it is attached to reports
// its result through a go-redis hook: a connection-level failure marks Redis down, and while it
// is down Run PINGs it every probe interval until it answers. With fail-fast on, commands
// issued while Redis is down return ErrRedisDown at once instead of each waiting for the dial
// and read timeouts, so the relayer's hot path runs at the speed of its fail mode during an
// outage. Redis starts as down: nothing is known until the first answer.
//
// The outage is logged once when it starts (Warn) and once when it ends (Info), and exported
// as relayminer_redis_up and relayminer_redis_outages_total (label component).
type Health struct {
	rdb      redis.UniversalClient
	target   string // redis.url, password redacted
	failFast bool
	interval time.Duration
	log      zerolog.Logger

	up       atomic.Bool
	answered atomic.Bool   // Redis answered at least once since start
	wake     chan struct{} // capacity 1: a failure woke the prober
	mu       sync.Mutex    // orders up/down transitions, their logs and metrics

	upGauge prometheus.Gauge
	outages prometheus.Counter

	lastDial atomic.Pointer[string] // the last dial error, a better reason than a probe's timeout
	firstUp  chan struct{}          // closed when Redis first answers
	onChange func(up bool)          // HealthOptions.OnChange; called under mu
}

// WaitUp returns nil once Redis has answered at least once, or ctx's error.
func (h *Health) WaitUp(ctx context.Context) error {
	select {
	case <-h.firstUp:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// HealthOptions configure NewHealth.
type HealthOptions struct {
	Component string // relayer or miner: the metrics' label
	Target    string // redis.url as configured; it is logged with the password redacted
	FailFast  bool
	Interval  time.Duration // DefaultProbeInterval when zero
	// OnChange, if set, is called after every transition (up true: Redis answers again), in
	// order, from the goroutine that observed it. It must not block or use the client.
	OnChange func(up bool)
}

// NewHealth attaches a health tracker to rdb and registers its metrics on reg (nil: not
// registered). It does no I/O.
func NewHealth(rdb redis.UniversalClient, o HealthOptions, log zerolog.Logger, reg prometheus.Registerer) (*Health, error) {
	if o.Interval <= 0 {
		o.Interval = DefaultProbeInterval
	}
	label := prometheus.Labels{"component": o.Component}
	h := &Health{
		rdb: rdb, target: redactURL(o.Target), failFast: o.FailFast, interval: o.Interval,
		log:  log.With().Str("redis_url", redactURL(o.Target)).Logger(),
		wake: make(chan struct{}, 1), firstUp: make(chan struct{}), onChange: o.OnChange,
		upGauge: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "relayminer", Subsystem: "redis", Name: "up",
			Help: "1 while Redis answers, 0 while it is unreachable (or not reached yet).", ConstLabels: label}),
		outages: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "relayminer", Subsystem: "redis", Name: "outages_total",
			Help: "Times Redis became unreachable after having answered.", ConstLabels: label}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{h.upGauge, h.outages} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("redis health metrics: %w", err)
			}
		}
	}
	rdb.AddHook(h)
	return h, nil
}

// Up reports whether Redis answered the last command or probe.
func (h *Health) Up() bool { return h.up.Load() }

// Run probes Redis while it is down, until ctx ends. It returns nil after ctx ends.
func (h *Health) Run(ctx context.Context) error {
	t := time.NewTicker(h.interval)
	defer t.Stop()
	var lastWait time.Time
	for {
		if !h.up.Load() {
			if err := h.probe(ctx); err != nil && !h.answered.Load() && time.Since(lastWait) >= waitLogEvery {
				lastWait = time.Now()
				why := err.Error()
				if p := h.lastDial.Load(); p != nil {
					why = *p
				}
				h.log.Warn().Str("error", why).Msg("waiting for redis")
			}
		}
		if h.up.Load() {
			select { // up: sleep until a command fails
			case <-ctx.Done():
				return nil
			case <-h.wake:
			}
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

type probeKey struct{}

// probe PINGs Redis past the fail-fast gate; the hook records the result.
func (h *Health) probe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithValue(ctx, probeKey{}, true), probeTimeout)
	defer cancel()
	return h.rdb.Ping(ctx).Err()
}

// observe records one command's result.
func (h *Health) observe(ctx context.Context, err error) {
	switch {
	case err == nil || !connFailure(err):
		if ctx.Err() == nil || err == nil {
			h.markUp()
		}
	default:
		if ctx.Err() == nil { // the caller's own deadline says nothing about Redis
			h.markDown(err)
		}
	}
}

func (h *Health) markUp() {
	if h.up.Load() {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.up.Swap(true) {
		return
	}
	h.upGauge.Set(1)
	if h.onChange != nil {
		h.onChange(true) // before WaitUp returns, so readiness is set when it does
	}
	if h.answered.Swap(true) {
		h.log.Info().Msg("redis reachable again")
	} else {
		close(h.firstUp)
		h.log.Info().Msg("redis connected")
	}
}

func (h *Health) markDown(err error) {
	if !h.up.Load() {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.up.Swap(false) {
		return
	}
	h.upGauge.Set(0)
	h.outages.Inc()
	if h.onChange != nil {
		h.onChange(false)
	}
	ev := h.log.Warn().Str("error", err.Error())
	if h.failFast {
		ev = ev.Bool("fail_fast", true)
	}
	ev.Msg("redis unreachable; probing until it answers")
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// connFailure reports whether err means Redis could not be reached or did not answer. A reply
// error (WRONGTYPE, NOSCRIPT, …), a missing key, a closed client or the fail-fast refusal
// itself are not.
func connFailure(err error) bool {
	var re redis.Error
	switch {
	case errors.Is(err, redis.Nil), errors.Is(err, redis.ErrClosed), errors.Is(err, ErrRedisDown):
		return false
	case errors.As(err, &re):
		return false
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, redis.ErrPoolTimeout) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

// gate answers ErrRedisDown instead of running a command while Redis is known down.
func (h *Health) gate(ctx context.Context) bool {
	return h.failFast && !h.up.Load() && ctx.Value(probeKey{}) == nil
}

// DialHook, ProcessHook and ProcessPipelineHook implement redis.Hook.
func (h *Health) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		if err != nil {
			msg := err.Error()
			h.lastDial.Store(&msg)
			h.observe(ctx, err)
		}
		return c, err
	}
}

func (h *Health) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.gate(ctx) {
			cmd.SetErr(ErrRedisDown)
			return ErrRedisDown
		}
		err := next(ctx, cmd)
		h.observe(ctx, err)
		return err
	}
}

func (h *Health) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if h.gate(ctx) {
			for _, c := range cmds {
				c.SetErr(ErrRedisDown)
			}
			return ErrRedisDown
		}
		err := next(ctx, cmds)
		h.observe(ctx, err)
		return err
	}
}
