package load

import (
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram bounds: microseconds from 1 µs to 1 hour, 3 significant digits (0.1% error).
const (
	histMinMicros = 1
	histMaxMicros = int64(time.Hour / time.Microsecond)
	histDigits    = 3
)

// errKey is one (category, code) pair of the error breakdown.
type errKey struct{ category, code string }

// recorder accumulates outcomes. One mutex: a relay costs tens of microseconds at least,
// so the lock is not what limits a run.
type recorder struct {
	mu         sync.Mutex
	start, end time.Time
	inflight   int64
	nSent      int64
	ok         int64
	failed     int64
	verified   int64
	hist       *hdr.Histogram
	first      *hdr.Histogram // time to first frame, of requests that had one
	frames     *hdr.Histogram // frames per request, of requests that had any
	frameTotal int64
	errs       map[errKey]int64
	// window: what the progress line shows for the last interval.
	winDone int64
}

func newRecorder() *recorder {
	return &recorder{hist: hdr.New(histMinMicros, histMaxMicros, histDigits),
		first:  hdr.New(histMinMicros, histMaxMicros, histDigits),
		frames: hdr.New(1, 1<<24, histDigits), errs: map[errKey]int64{}}
}

func (r *recorder) sent() {
	r.mu.Lock()
	r.nSent++
	r.inflight++
	r.mu.Unlock()
}

func (r *recorder) record(o Outcome, latency time.Duration) {
	us := int64(latency / time.Microsecond)
	if us < histMinMicros {
		us = histMinMicros
	}
	if us > histMaxMicros {
		us = histMaxMicros
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inflight--
	r.winDone++
	_ = r.hist.RecordValue(us) // in range by the clamp above
	if o.FirstFrame > 0 {
		_ = r.first.RecordValue(min(max(int64(o.FirstFrame/time.Microsecond), histMinMicros), histMaxMicros))
	}
	if o.Frames > 0 {
		r.frameTotal += int64(o.Frames)
		_ = r.frames.RecordValue(min(int64(o.Frames), 1<<24))
	}
	if o.Verified {
		r.verified++
	}
	if o.Category == "" {
		r.ok++
		return
	}
	r.failed++
	r.errs[errKey{o.Category, o.Code}]++
}

// snapshot is what the progress line needs.
type snapshot struct {
	sent, ok, failed, done int64
	p50, p99               time.Duration
}

// take returns the counters and resets the per-interval count.
func (r *recorder) take() snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := snapshot{sent: r.nSent, ok: r.ok, failed: r.failed, done: r.winDone,
		p50: micros(r.hist.ValueAtQuantile(50)), p99: micros(r.hist.ValueAtQuantile(99))}
	r.winDone = 0
	return s
}

func micros(v int64) time.Duration { return time.Duration(v) * time.Microsecond }
