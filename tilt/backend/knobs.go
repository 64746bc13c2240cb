package backend

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// MaxSize bounds the size knob: the padding buffer is built once at this length.
const MaxSize = 16 << 20

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 64 << 20

// Config holds the defaults every request starts from. The zero value answers at once with 200
// and the natural payload.
type Config struct {
	// Delay before each answer. Default 0.
	Delay time.Duration
	// Status forces the HTTP status of every answer. 0 means 200.
	Status int
	// ErrorRate is the fraction (0..1) of answers that fail with ErrorStatus. Default 0.
	ErrorRate float64
	// ErrorStatus is the HTTP status of a failed answer. 0 means 500.
	ErrorStatus int
	// Size, when > 0, replaces the natural payload by this many bytes (at most MaxSize).
	Size int
	// Count is the number of streamed events or pushed WebSocket messages. 0 means 10.
	Count int
	// Interval separates streamed events. Default 0.
	Interval time.Duration
}

// knobs are the effective settings of one request.
type knobs struct {
	delay       time.Duration
	status      int
	errorRate   float64
	errorStatus int
	size        int
	count       int
	interval    time.Duration
}

func (c Config) knobs() knobs {
	k := knobs{
		delay: c.Delay, status: c.Status, errorRate: c.ErrorRate, errorStatus: c.ErrorStatus,
		size: c.Size, count: c.Count, interval: c.Interval,
	}
	if k.status == 0 {
		k.status = http.StatusOK
	}
	if k.errorStatus == 0 {
		k.errorStatus = http.StatusInternalServerError
	}
	if k.count == 0 {
		k.count = 10
	}
	return k
}

// Validate reports a setting no request could use.
func (c Config) Validate() error {
	k := c.knobs()
	return k.validate()
}

func (k knobs) validate() error {
	switch {
	case k.delay < 0:
		return fmt.Errorf("delay: must not be negative, got %s", k.delay)
	case k.interval < 0:
		return fmt.Errorf("interval: must not be negative, got %s", k.interval)
	case k.status < 100 || k.status > 999:
		return fmt.Errorf("status: want an HTTP status code, got %d", k.status)
	case k.errorStatus < 100 || k.errorStatus > 999:
		return fmt.Errorf("error_status: want an HTTP status code, got %d", k.errorStatus)
	case k.errorRate < 0 || k.errorRate > 1:
		return fmt.Errorf("error_rate: want a fraction in [0,1], got %g", k.errorRate)
	case k.size < 0 || k.size > MaxSize:
		return fmt.Errorf("size: want 0..%d bytes, got %d", MaxSize, k.size)
	case k.count < 0:
		return fmt.Errorf("count: must not be negative, got %d", k.count)
	}
	return nil
}

// fail draws whether this answer fails.
func (k knobs) fail() bool {
	return k.errorRate > 0 && rand.Float64() < k.errorRate
}

// knobSource reads one named knob; it returns "" when the knob is not set.
type knobSource func(name string) string

// headerNames maps knob names to their header spelling.
var headerNames = map[string]string{
	"delay":        "X-Backend-Delay",
	"status":       "X-Backend-Status",
	"error_rate":   "X-Backend-Error-Rate",
	"error_status": "X-Backend-Error-Status",
	"size":         "X-Backend-Size",
	"count":        "X-Backend-Count",
	"interval":     "X-Backend-Interval",
}

// knobHeaders lists the header names for the per-request fast-path check.
var knobHeaders = func() []string {
	out := make([]string, 0, len(headerNames))
	for _, h := range headerNames {
		out = append(out, h)
	}
	return out
}()

// requestKnobs applies a request's query parameters and X-Backend-* headers to the defaults.
// The fast path (no query, no knob header) costs two map lookups.
func (s *Server) requestKnobs(r *http.Request) (knobs, error) {
	hasHeader := false
	for _, h := range knobHeaders {
		if _, ok := r.Header[h]; ok {
			hasHeader = true
			break
		}
	}
	if r.URL.RawQuery == "" && !hasHeader {
		return s.defaults, nil
	}
	var q url.Values
	if r.URL.RawQuery != "" {
		q = r.URL.Query()
	}
	return applyKnobs(s.defaults, func(name string) string {
		if v := q.Get(name); v != "" {
			return v
		}
		return r.Header.Get(headerNames[name])
	})
}

// applyKnobs overrides the fields of k that src sets.
func applyKnobs(k knobs, src knobSource) (knobs, error) {
	var err error
	parseDur := func(name string, dst *time.Duration) {
		if v := src(name); v != "" && err == nil {
			if *dst, err = time.ParseDuration(v); err != nil {
				err = fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	parseInt := func(name string, dst *int) {
		if v := src(name); v != "" && err == nil {
			if *dst, err = strconv.Atoi(v); err != nil {
				err = fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	parseDur("delay", &k.delay)
	parseDur("interval", &k.interval)
	parseInt("status", &k.status)
	parseInt("error_status", &k.errorStatus)
	parseInt("size", &k.size)
	parseInt("count", &k.count)
	if v := src("error_rate"); v != "" && err == nil {
		if k.errorRate, err = strconv.ParseFloat(v, 64); err != nil {
			err = fmt.Errorf("error_rate: %w", err)
		}
	}
	if err != nil {
		return k, err
	}
	return k, k.validate()
}
