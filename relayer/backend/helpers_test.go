package backend

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	sdktypes "github.com/pokt-network/shannon-sdk/types"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

// echoed is what the echo backend saw.
type echoed struct {
	Method           string
	Path             string
	RawPath          string
	RawQuery         string
	Header           http.Header
	Host             string
	Body             string
	ContentLength    int64
	TransferEncoding []string
}

// echoHandler answers with a JSON description of the request.
func echoHandler(hits *atomic.Int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if hits != nil {
			hits.Add(1)
		}
		b, _ := io.ReadAll(r.Body)
		e := echoed{r.Method, r.URL.Path, r.URL.RawPath, r.URL.RawQuery, r.Header, r.Host, string(b), r.ContentLength, r.TransferEncoding}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Endpoint", "echo")
		_ = json.NewEncoder(w).Encode(e)
	}
}

// statusHandler answers code with a small body, counting hits.
func statusHandler(code int, hits *atomic.Int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if hits != nil {
			hits.Add(1)
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(code)
		_, _ = io.WriteString(w, http.StatusText(code))
	}
}

func server(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

// deadURL is an address nothing listens on: listen, then close.
func deadURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr
}

func backendCfg(urls ...string) *config.Backend {
	c := &config.Backend{Selection: config.SelectRoundRobin, Timeout: 5 * time.Second, MaxConns: 16}
	if len(urls) == 1 {
		c.URL = config.Secret(urls[0])
	} else {
		for _, u := range urls {
			c.URLs = append(c.URLs, config.Secret(u))
		}
	}
	return c
}

// fakeClock is a settable monotonic clock for breaker tests.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) now() int64              { return c.ns.Load() }
func (c *fakeClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func withClock(c *fakeClock) Option { return func(p *Pool) { p.now = c.now } }

func newPool(t *testing.T, cfg *config.Backend, opts ...Option) (*Pool, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	p, err := New("svc", config.RPCJSONRPC, cfg, zerolog.Nop(), NewMetrics(reg), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p, reg
}

func postReq(url, body string) *sdktypes.POKTHTTPRequest {
	return &sdktypes.POKTHTTPRequest{Method: http.MethodPost, Url: url, BodyBz: []byte(body),
		Header: map[string]*sdktypes.Header{"Content-Type": {Key: "Content-Type", Values: []string{"application/json"}}}}
}

func mustDecode(t *testing.T, r *Response) echoed {
	t.Helper()
	var e echoed
	if err := json.Unmarshal(r.Body, &e); err != nil {
		t.Fatalf("decode echo: %v (%q)", err, r.Body)
	}
	return e
}

// counter reads one child of a metric family.
func counter(t *testing.T, p *Pool, ep int, o outcome) float64 {
	t.Helper()
	return value(t, p.eps[ep].m.requests[o])
}

// value reads a counter or gauge.
func value(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		t.Fatal(err)
	}
	switch {
	case d.Counter != nil:
		return d.Counter.GetValue()
	case d.Gauge != nil:
		return d.Gauge.GetValue()
	}
	t.Fatal("not a counter or gauge")
	return 0
}

func zeroLog() zerolog.Logger { return zerolog.Nop() }
