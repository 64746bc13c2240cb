package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"
)

// Limits that keep a run bounded.
const (
	MaxConcurrency = 4096
	MaxRPS         = 1_000_000
)

// Outcome is how one request ended: Category "" is a success.
type Outcome struct {
	Category string
	Code     string // bounded detail within the category (an HTTP status, an error code)
	// Verified is true when the answer's signature was checked and valid, even if the
	// request failed later (say, a backend 5xx).
	Verified bool
	// FirstFrame is the time from sending to the first frame of a streamed answer; 0 when the
	// request has none (it is then left out of the first-frame histogram).
	FirstFrame time.Duration
	// Frames is the number of frames (stream frames, WebSocket responses) the answer held; 0
	// for transports without frames.
	Frames int
}

// Sender performs one request. It must honour ctx and be safe for concurrent use.
type Sender func(ctx context.Context) Outcome

// Config shapes a run. At least one of Count and Duration is required.
type Config struct {
	// Count stops dispatching after this many requests; 0 means no limit.
	Count int64
	// Duration stops dispatching once this much time has passed since the start (in open
	// loop: for requests scheduled at or after it); 0 means no limit.
	Duration time.Duration
	// Concurrency is the number of requests in flight at most. Default 1.
	Concurrency int
	// RPS > 0 runs an open loop: request i is scheduled at start + i/RPS whatever happened
	// to earlier ones, and its latency is measured from that scheduled time, so time spent
	// queued behind a slow server counts (no coordinated omission). RPS 0 runs a closed loop:
	// each worker sends its next request when its previous one is answered.
	RPS float64
	// Timeout bounds one request (passed to the Sender through its context). 0: none here.
	Timeout time.Duration
	// Progress, when set, receives a status line every ProgressInterval (default 1s).
	Progress         io.Writer
	ProgressInterval time.Duration
	// ProgressInline rewrites one terminal line (carriage return) instead of printing a line
	// per interval.
	ProgressInline bool
	// Observe, when set, is called after every request with its due time and latency, from
	// the worker that sent it (so it must be safe for concurrent use).
	Observe func(Sample)
	// Categories are the error categories the report always lists, at 0 when none occurred.
	Categories []string
	// Clock defaults to the wall clock.
	Clock Clock
}

func (c *Config) validate() error {
	var errs []error
	if c.Count < 0 || c.Duration < 0 {
		errs = append(errs, errors.New("count and duration must not be negative"))
	}
	if c.Count == 0 && c.Duration == 0 {
		errs = append(errs, errors.New("set a count or a duration"))
	}
	if c.Concurrency == 0 {
		c.Concurrency = 1
	}
	if c.Concurrency < 0 || c.Concurrency > MaxConcurrency {
		errs = append(errs, fmt.Errorf("concurrency %d: want 1..%d", c.Concurrency, MaxConcurrency))
	}
	if c.RPS < 0 || c.RPS > MaxRPS || math.IsNaN(c.RPS) {
		errs = append(errs, fmt.Errorf("rps %v: want 0 (closed loop) up to %d", c.RPS, MaxRPS))
	}
	if c.ProgressInterval <= 0 {
		c.ProgressInterval = time.Second
	}
	if c.Clock == nil {
		c.Clock = realClock{}
	}
	return errors.Join(errs...)
}

// Sample is one finished request.
type Sample struct {
	Seq       int64         // 0-based dispatch order
	Scheduled time.Time     // when it was due
	Latency   time.Duration // from Scheduled to its answer
	Outcome   Outcome
}

// ticket is one request to send, with the time it was due.
type ticket struct {
	seq   int64
	sched time.Time
}

// Run drives send as cfg says and returns the report. When ctx ends (SIGINT), it stops
// dispatching, lets the requests in flight finish (each bounded by cfg.Timeout) and returns
// the partial report with Interrupted set; the error is nil in that case too.
func Run(ctx context.Context, cfg Config, send Sender) (*Report, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	rec := newRecorder()
	start := cfg.Clock.Now()
	rec.start = start
	// In-flight requests outlive an interrupt: they are bounded by their own timeout.
	sendCtx := context.WithoutCancel(ctx)

	var wg sync.WaitGroup
	var tickets chan ticket
	if cfg.RPS > 0 {
		tickets = make(chan ticket, cfg.Concurrency) // bounded: the dispatcher waits when full
		wg.Add(1)
		go func() { defer wg.Done(); dispatch(ctx, cfg, start, tickets) }()
	}
	closed := newClosedLoop(cfg, start)
	for range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if tickets != nil {
				for t := range tickets {
					one(sendCtx, cfg, rec, send, t)
				}
				return
			}
			for {
				t, ok := closed.next(ctx)
				if !ok {
					return
				}
				one(sendCtx, cfg, rec, send, t)
			}
		}()
	}
	stopProgress := startProgress(cfg, rec)
	wg.Wait()
	stopProgress()
	rec.end = cfg.Clock.Now()
	rep := rec.report(cfg)
	rep.Interrupted = ctx.Err() != nil
	return rep, nil
}

// one sends a ticket and records its latency from the scheduled time.
func one(ctx context.Context, cfg Config, rec *recorder, send Sender, t ticket) {
	if cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
	}
	rec.sent()
	o := send(ctx)
	lat := cfg.Clock.Now().Sub(t.sched)
	rec.record(o, lat)
	if cfg.Observe != nil {
		cfg.Observe(Sample{Seq: t.seq, Scheduled: t.sched, Latency: lat, Outcome: o})
	}
}

// dispatch is the open-loop scheduler: ticket i is due at start + i/RPS. It waits for each
// due time (not at all when late) and hands the ticket to a worker; a ticket that waits for a
// free worker keeps its due time, so the wait shows in its latency.
func dispatch(ctx context.Context, cfg Config, start time.Time, out chan<- ticket) {
	defer close(out)
	interval := float64(time.Second) / cfg.RPS
	for i := int64(0); cfg.Count == 0 || i < cfg.Count; i++ {
		due := start.Add(time.Duration(math.Round(float64(i) * interval)))
		if cfg.Duration > 0 && due.Sub(start) >= cfg.Duration {
			return
		}
		if cfg.Clock.WaitUntil(ctx, due) != nil {
			return
		}
		select {
		case out <- ticket{seq: i, sched: due}:
		case <-ctx.Done():
			return
		}
	}
}

// closedLoop hands out sequence numbers to workers that send back to back; a request is due
// when its worker takes it.
type closedLoop struct {
	cfg   Config
	start time.Time
	mu    sync.Mutex
	seq   int64
}

func newClosedLoop(cfg Config, start time.Time) *closedLoop {
	return &closedLoop{cfg: cfg, start: start}
}

func (c *closedLoop) next(ctx context.Context) (ticket, bool) {
	if ctx.Err() != nil {
		return ticket{}, false
	}
	now := c.cfg.Clock.Now()
	if c.cfg.Duration > 0 && now.Sub(c.start) >= c.cfg.Duration {
		return ticket{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cfg.Count > 0 && c.seq >= c.cfg.Count {
		return ticket{}, false
	}
	c.seq++
	return ticket{seq: c.seq - 1, sched: now}, true
}
