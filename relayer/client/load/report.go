package load

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// SchemaVersion is the version of the JSON report; it changes only when a field is removed
// or changes meaning (new fields may appear without a bump).
const SchemaVersion = 1

// Report is the outcome of a run. The JSON field names are stable; see README-section.md.
type Report struct {
	SchemaVersion int    `json:"schema_version"`
	Mode          string `json:"mode"` // "open_loop" or "closed_loop"
	// TargetRPS is the open-loop rate asked for (0 in closed loop).
	TargetRPS   float64   `json:"target_rps"`
	Concurrency int       `json:"concurrency"`
	StartedAt   time.Time `json:"started_at"`
	// DurationSeconds runs from the start to the last answer.
	DurationSeconds float64 `json:"duration_seconds"`
	// Interrupted is true when the run was stopped (SIGINT) before its count or duration.
	Interrupted bool `json:"interrupted"`
	// Sent requests; Success + Errors of them were answered (all of them, once Run returns).
	Sent    int64 `json:"sent"`
	Success int64 `json:"success"`
	Errors  int64 `json:"errors"`
	// SignaturesVerified counts answers whose supplier signature verified (a failed request
	// may still carry a valid signature, e.g. a backend 5xx).
	SignaturesVerified int64 `json:"signatures_verified"`
	// SuccessRate is Success / (Success + Errors), 0 when nothing was answered.
	SuccessRate float64 `json:"success_rate"`
	// ThroughputRPS is answered requests per second; SuccessRPS counts successes only.
	ThroughputRPS float64 `json:"throughput_rps"`
	SuccessRPS    float64 `json:"success_rps"`
	// LatencyMS summarises every answered request's latency in milliseconds (open loop: from
	// its scheduled time). HDR histogram, 3 significant digits.
	LatencyMS Latency `json:"latency_ms"`
	// FirstFrameMS summarises the time to the first frame of streamed answers (requests that
	// received one); absent for transports without frames.
	FirstFrameMS *Latency `json:"first_frame_ms,omitempty"`
	// FramesPerRelay summarises the frames (stream frames, WebSocket responses) per request
	// that received any; absent for transports without frames.
	FramesPerRelay *Frames `json:"frames_per_relay,omitempty"`
	// ErrorsByCategory counts errors per category; every known category is present.
	ErrorsByCategory map[string]int64 `json:"errors_by_category"`
	// ErrorCodes breaks the errors down by (category, code), most frequent first.
	ErrorCodes []ErrorCount `json:"error_codes"`
	// Target describes what was measured; set by the caller.
	Target any `json:"target,omitempty"`
}

// Latency is a latency distribution summary in milliseconds.
type Latency struct {
	Min  float64 `json:"min"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
}

// Frames is the distribution of frames per request.
type Frames struct {
	Total int64   `json:"total"`
	Min   int64   `json:"min"`
	Mean  float64 `json:"mean"`
	Max   int64   `json:"max"`
}

// ErrorCount is one line of the error breakdown.
type ErrorCount struct {
	Category string `json:"category"`
	Code     string `json:"code,omitempty"`
	Count    int64  `json:"count"`
}

// report builds the Report from the recorder; categories pre-fills ErrorsByCategory.
func (r *recorder) report(cfg Config) *Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := &Report{SchemaVersion: SchemaVersion, Mode: "closed_loop", TargetRPS: cfg.RPS,
		Concurrency: cfg.Concurrency, StartedAt: r.start.UTC(), Sent: r.nSent, Success: r.ok, Errors: r.failed,
		SignaturesVerified: r.verified, ErrorsByCategory: map[string]int64{}, ErrorCodes: []ErrorCount{}}
	if cfg.RPS > 0 {
		rep.Mode = "open_loop"
	}
	d := r.end.Sub(r.start)
	rep.DurationSeconds = round(d.Seconds(), 3)
	if done := r.ok + r.failed; done > 0 {
		rep.SuccessRate = round(float64(r.ok)/float64(done), 4)
		if d > 0 {
			rep.ThroughputRPS = round(float64(done)/d.Seconds(), 1)
			rep.SuccessRPS = round(float64(r.ok)/d.Seconds(), 1)
		}
		rep.LatencyMS = *latencyOf(r.hist)
	}
	if f := r.first; f.TotalCount() > 0 {
		rep.FirstFrameMS = latencyOf(f)
	}
	if f := r.frames; f.TotalCount() > 0 {
		rep.FramesPerRelay = &Frames{Total: r.frameTotal, Min: f.Min(), Mean: round(f.Mean(), 2), Max: f.Max()}
	}
	for _, c := range cfg.Categories {
		rep.ErrorsByCategory[c] = 0
	}
	for k, n := range r.errs {
		rep.ErrorsByCategory[k.category] += n
		rep.ErrorCodes = append(rep.ErrorCodes, ErrorCount{Category: k.category, Code: k.code, Count: n})
	}
	sort.Slice(rep.ErrorCodes, func(i, j int) bool {
		a, b := rep.ErrorCodes[i], rep.ErrorCodes[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		if a.Category != b.Category {
			return a.Category < b.Category
		}
		return a.Code < b.Code
	})
	return rep
}

// latencyOf summarises a histogram of microseconds in milliseconds.
func latencyOf(h *hdr.Histogram) *Latency {
	q := func(p float64) float64 { return msOf(h.ValueAtQuantile(p)) }
	return &Latency{Min: msOf(h.Min()), Mean: round(h.Mean()/1000, 3), P50: q(50), P90: q(90),
		P99: q(99), P999: q(99.9), Max: msOf(h.Max())}
}

func msOf(us int64) float64 { return round(float64(us)/1000, 3) }

func round(v float64, digits int) float64 {
	p := 1.0
	for range digits {
		p *= 10
	}
	if v < 0 {
		return -float64(int64(-v*p+0.5)) / p
	}
	return float64(int64(v*p+0.5)) / p
}

// WriteJSON writes the report as indented JSON followed by a newline.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for a human.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	mode := "closed loop"
	if r.Mode == "open_loop" {
		mode = fmt.Sprintf("open loop at %g rps", r.TargetRPS)
	}
	fmt.Fprintf(&b, "Load: %s, concurrency %d, %.3f s", mode, r.Concurrency, r.DurationSeconds)
	if r.Interrupted {
		b.WriteString(" (interrupted: partial report)")
	}
	fmt.Fprintf(&b, "\n  sent %d, success %d, errors %d, success rate %.2f%%, signatures verified %d\n",
		r.Sent, r.Success, r.Errors, 100*r.SuccessRate, r.SignaturesVerified)
	fmt.Fprintf(&b, "  throughput %.1f relays/s (%.1f successful/s)\n", r.ThroughputRPS, r.SuccessRPS)
	l := r.LatencyMS
	fmt.Fprintf(&b, "Latency (ms): min %.3f  mean %.3f  p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n",
		l.Min, l.Mean, l.P50, l.P90, l.P99, l.P999, l.Max)
	if f := r.FirstFrameMS; f != nil {
		fmt.Fprintf(&b, "First frame (ms): min %.3f  mean %.3f  p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n",
			f.Min, f.Mean, f.P50, f.P90, f.P99, f.P999, f.Max)
	}
	if f := r.FramesPerRelay; f != nil {
		fmt.Fprintf(&b, "Frames per relay: min %d  mean %.2f  max %d  (%d in all)\n", f.Min, f.Mean, f.Max, f.Total)
	}
	if r.Errors > 0 {
		b.WriteString("Errors:\n")
		for _, e := range r.ErrorCodes {
			name := e.Category
			if e.Code != "" {
				name += " " + e.Code
			}
			fmt.Fprintf(&b, "  %-40s %d\n", name, e.Count)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
