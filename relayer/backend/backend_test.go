package backend

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sdktypes "github.com/pokt-network/shannon-sdk/types"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

func TestDoRebuildsRequest(t *testing.T) {
	s := server(t, echoHandler(nil))
	cfg := backendCfg(s.URL + "/api/v1?key=configured&fixed=1")
	cfg.Headers = map[string]string{"x-static": "static-value", "X-Override": "from-config"}
	cfg.BearerToken = "tok"
	p, _ := newPool(t, cfg)

	req := &sdktypes.POKTHTTPRequest{
		Method: http.MethodPut,
		Url:    "https://gateway.example/users/42/?page=2&key=client",
		Header: map[string]*sdktypes.Header{
			"content-type":      {Key: "content-type", Values: []string{"application/json"}},
			"X-Multi":           {Key: "X-Multi", Values: []string{"a", "b"}},
			"X-Override":        {Key: "X-Override", Values: []string{"from-client"}},
			"Connection":        {Key: "Connection", Values: []string{"close"}},
			"Transfer-Encoding": {Key: "Transfer-Encoding", Values: []string{"chunked"}},
			"Host":              {Key: "Host", Values: []string{"evil.example"}},
			"Pocket-Supplier":   {Key: "Pocket-Supplier", Values: []string{"spoofed"}},
			"Pocket-Session-Id": {Key: "Pocket-Session-Id", Values: []string{"spoofed"}},
			"Authorization":     {Key: "Authorization", Values: []string{"Bearer client"}},
			"Nil":               nil,
		},
		BodyBz: []byte(`{"name":"x"}`),
	}
	res, err := p.Do(context.Background(), req, Headers{Supplier: "pokt1sup", Application: "pokt1app", SessionStartHeight: 10, SessionEndHeight: 20})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	e := mustDecode(t, res)

	checks := []struct{ name, got, want string }{
		{"method", e.Method, http.MethodPut},
		{"path", e.Path, "/api/v1/users/42/"},
		{"query", e.RawQuery, "key=configured&fixed=1&page=2"},
		{"host", e.Host, strings.TrimPrefix(s.URL, "http://")},
		{"body", e.Body, `{"name":"x"}`},
		{"content-type", e.Header.Get("Content-Type"), "application/json"},
		{"multi", strings.Join(e.Header.Values("X-Multi"), ","), "a,b"},
		{"static", e.Header.Get("X-Static"), "static-value"},
		{"override", strings.Join(e.Header.Values("X-Override"), ","), "from-config"},
		{"auth", e.Header.Get("Authorization"), "Bearer tok"},
		{"supplier", e.Header.Get(HeaderSupplier), "pokt1sup"},
		{"service", e.Header.Get(HeaderService), "svc"},
		{"application", e.Header.Get(HeaderApplication), "pokt1app"},
		{"session id (spoof dropped)", e.Header.Get(HeaderSessionID), ""},
		{"start", e.Header.Get(HeaderSessionStartHeight), "10"},
		{"end", e.Header.Get(HeaderSessionEndHeight), "20"},
		{"connection", e.Header.Get("Connection"), ""},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	if e.ContentLength != int64(len(req.BodyBz)) || len(e.TransferEncoding) != 0 {
		t.Errorf("framing: content-length %d, transfer-encoding %v", e.ContentLength, e.TransferEncoding)
	}
	if res.StatusCode != 200 || res.Header.Get("X-Endpoint") != "echo" || res.Endpoint != "0" || res.Attempts != 1 {
		t.Errorf("response: %d %v %q %d", res.StatusCode, res.Header, res.Endpoint, res.Attempts)
	}
}

func TestPathJoin(t *testing.T) {
	s := server(t, echoHandler(nil))
	cases := []struct{ base, url, wantPath, wantQuery string }{
		{"", "", "/", ""},
		{"", "/", "/", ""},
		{"/v2/APIKEY", "/", "/v2/APIKEY", ""},
		{"/v2/APIKEY", "", "/v2/APIKEY", ""},
		{"/v2/APIKEY", "http://host", "/v2/APIKEY", ""},
		{"/v2/APIKEY/", "/", "/v2/APIKEY/", ""},
		{"/api", "/a/b", "/api/a/b", ""},
		{"/api/", "/a/b", "/api/a/b", ""},
		{"/api", "a/b", "/api/a/b", ""},
		{"/api", "/a/../../../etc/passwd", "/api/etc/passwd", ""},
		{"/api", "/a/./b//c/", "/api/a/b/c/", ""},
		{"/api", "/x?a=1&a=2", "/api/x", "a=1&a=2"},
		{"/api", "http://gw:3069/x/y?q=1", "/api/x/y", "q=1"},
	}
	for _, c := range cases {
		t.Run(c.base+"|"+c.url, func(t *testing.T) {
			p, _ := newPool(t, backendCfg(s.URL+c.base))
			res, err := p.Do(context.Background(), &sdktypes.POKTHTTPRequest{Method: "GET", Url: c.url}, Headers{})
			if err != nil {
				t.Fatal(err)
			}
			defer res.Release()
			e := mustDecode(t, res)
			if e.Path != c.wantPath || e.RawQuery != c.wantQuery {
				t.Errorf("got %q ? %q, want %q ? %q", e.Path, e.RawQuery, c.wantPath, c.wantQuery)
			}
		})
	}
}

func TestEscapedPathKept(t *testing.T) {
	s := server(t, echoHandler(nil))
	p, _ := newPool(t, backendCfg(s.URL+"/base"))
	res, err := p.Do(context.Background(), &sdktypes.POKTHTTPRequest{Method: "GET", Url: "/a%2Fb/c"}, Headers{})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	if e := mustDecode(t, res); e.RawPath != "/base/a%2Fb/c" {
		t.Errorf("raw path %q", e.RawPath)
	}
}

func TestAuthVariants(t *testing.T) {
	s := server(t, echoHandler(nil))
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("u:p"))
	host := strings.TrimPrefix(s.URL, "http://")
	cases := []struct {
		name string
		cfg  func() *config.Backend
		want string
	}{
		{"basic", func() *config.Backend {
			c := backendCfg(s.URL)
			c.BasicAuth = &config.BasicAuth{Username: "u", Password: "p"}
			return c
		}, basic},
		{"userinfo", func() *config.Backend { return backendCfg("http://u:p@" + host) }, basic},
		{"client passes through", func() *config.Backend { return backendCfg(s.URL) }, "Bearer client"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, _ := newPool(t, c.cfg())
			req := &sdktypes.POKTHTTPRequest{Method: "GET", Header: map[string]*sdktypes.Header{
				"Authorization": {Key: "Authorization", Values: []string{"Bearer client"}}}}
			res, err := p.Do(context.Background(), req, Headers{})
			if err != nil {
				t.Fatal(err)
			}
			defer res.Release()
			if got := mustDecode(t, res).Header.Get("Authorization"); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestBadRequest(t *testing.T) {
	s := server(t, echoHandler(nil))
	p, _ := newPool(t, backendCfg(s.URL))
	for _, req := range []*sdktypes.POKTHTTPRequest{
		{Method: "GE T"},
		{Method: "GET", Url: "http://[::1"},
	} {
		_, err := p.Do(context.Background(), req, Headers{})
		if ReasonOf(err) != ReasonBadRequest {
			t.Errorf("%+v: got %v", req, err)
		}
	}
}

func TestRetryAfterDialError(t *testing.T) {
	var hits atomic.Int64
	s := server(t, echoHandler(&hits))
	cfg := backendCfg(deadURL(t), s.URL)
	cfg.Selection = config.SelectFirstHealthy
	p, _ := newPool(t, cfg)
	res, err := p.Do(context.Background(), postReq("/", `{"id":1}`), Headers{})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	if res.Endpoint != "1" || res.Attempts != 2 || hits.Load() != 1 {
		t.Fatalf("endpoint %s attempts %d hits %d", res.Endpoint, res.Attempts, hits.Load())
	}
	if e := mustDecode(t, res); e.Body != `{"id":1}` {
		t.Errorf("body on retry: %q", e.Body)
	}
	if counter(t, p, 0, outcomeDial) != 1 || value(t, p.retries[outcomeDial]) != 1 {
		t.Error("dial failure or retry not counted")
	}
}

func TestRetryAfter5xx(t *testing.T) {
	var bad, good atomic.Int64
	s500 := server(t, statusHandler(500, &bad))
	sOK := server(t, echoHandler(&good))
	cfg := backendCfg(s500.URL, sOK.URL)
	cfg.Selection = config.SelectFirstHealthy
	p, _ := newPool(t, cfg)
	res, err := p.Do(context.Background(), postReq("/", "x"), Headers{})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	if res.StatusCode != 200 || bad.Load() != 1 || good.Load() != 1 {
		t.Fatalf("status %d, 500 hits %d, ok hits %d", res.StatusCode, bad.Load(), good.Load())
	}
	if counter(t, p, 0, outcome5xx) != 1 || value(t, p.retries[outcome5xx]) != 1 {
		t.Error("5xx or retry not counted")
	}
}

func TestAll5xxReturnsLastResponse(t *testing.T) {
	var hits atomic.Int64
	a := server(t, statusHandler(502, &hits))
	b := server(t, statusHandler(503, &hits))
	p, _ := newPool(t, backendCfg(a.URL, b.URL))
	res, err := p.Do(context.Background(), postReq("/", "x"), Headers{})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	if res.StatusCode < 500 || hits.Load() != 2 || res.Attempts != 2 || string(res.Body) != http.StatusText(res.StatusCode) {
		t.Fatalf("status %d body %q hits %d attempts %d", res.StatusCode, res.Body, hits.Load(), res.Attempts)
	}
}

func TestAllDeadIsDialError(t *testing.T) {
	p, _ := newPool(t, backendCfg(deadURL(t), deadURL(t), deadURL(t)))
	_, err := p.Do(context.Background(), postReq("/", "x"), Headers{})
	var be *Error
	if !errors.As(err, &be) || be.Reason != ReasonDial || be.Attempts != 3 {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("error leaks the address: %v", err)
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	var hits atomic.Int64
	slow := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release) })
	other := server(t, echoHandler(&hits))
	cfg := backendCfg(slow.URL, other.URL)
	cfg.Selection = config.SelectFirstHealthy
	cfg.Timeout = 50 * time.Millisecond
	p, _ := newPool(t, cfg)
	_, err := p.Do(context.Background(), postReq("/", "x"), Headers{})
	if ReasonOf(err) != ReasonTimeout {
		t.Fatalf("got %v", err)
	}
	if hits.Load() != 1 {
		t.Errorf("timeout was retried: %d hits", hits.Load())
	}
	if counter(t, p, 0, outcomeTimeout) != 1 {
		t.Error("timeout not counted")
	}
}

func TestNoRetryAfterClientCancel(t *testing.T) {
	var hits atomic.Int64
	arrived := make(chan struct{}, 1)
	hang := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body) // then the server notices the client leaving
		arrived <- struct{}{}
		<-r.Context().Done()
	})
	a, b := server(t, hang), server(t, hang)
	cfg := backendCfg(a.URL, b.URL)
	p, _ := newPool(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	_, err := p.Do(ctx, postReq("/", "x"), Headers{})
	if ReasonOf(err) != ReasonClientCanceled {
		t.Fatalf("got %v", err)
	}
	if hits.Load() != 1 {
		t.Errorf("retried after cancel: %d hits", hits.Load())
	}
	if p.eps[0].br.failures.Load()+p.eps[1].br.failures.Load() != 0 {
		t.Error("a client cancel counted against the endpoint")
	}
	// Already canceled: nothing is sent.
	if _, err := p.Do(ctx, postReq("/", "x"), Headers{}); ReasonOf(err) != ReasonClientCanceled || hits.Load() != 1 {
		t.Fatalf("got %v, hits %d", err, hits.Load())
	}
}

func TestResponseTooLarge(t *testing.T) {
	big := strings.Repeat("x", 1000)
	s := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("chunked") == "" {
			w.Header().Set("Content-Length", "1000")
		}
		_, _ = w.Write([]byte(big))
	}))
	for _, q := range []string{"", "?chunked=1"} {
		p, _ := newPool(t, backendCfg(s.URL), WithMaxResponseBytes(999))
		if _, err := p.Do(context.Background(), &sdktypes.POKTHTTPRequest{Url: "/" + q}, Headers{}); ReasonOf(err) != ReasonTooLarge {
			t.Errorf("%q: got %v", q, err)
		}
		if p.eps[0].br.failures.Load() != 0 {
			t.Error("too large counted as an endpoint failure")
		}
		p2, _ := newPool(t, backendCfg(s.URL), WithMaxResponseBytes(1000))
		res, err := p2.Do(context.Background(), &sdktypes.POKTHTTPRequest{Url: "/" + q}, Headers{})
		if err != nil || len(res.Body) != 1000 {
			t.Fatalf("%q: exactly at the cap: %v", q, err)
		}
		res.Release()
	}
}

func TestRoundRobinDistribution(t *testing.T) {
	const n = 3
	var hits [n]atomic.Int64
	var urls []string
	for i := range n {
		urls = append(urls, server(t, echoHandler(&hits[i])).URL)
	}
	p, _ := newPool(t, backendCfg(urls...))
	for range 30 {
		res, err := p.Do(context.Background(), postReq("/", "x"), Headers{})
		if err != nil {
			t.Fatal(err)
		}
		res.Release()
	}
	for i := range n {
		if hits[i].Load() != 10 {
			t.Errorf("endpoint %d: %d hits, want 10", i, hits[i].Load())
		}
	}
}

func TestRoundRobinSkipsOpenBreaker(t *testing.T) {
	var hits [2]atomic.Int64
	a := server(t, echoHandler(&hits[0]))
	b := server(t, echoHandler(&hits[1]))
	clk := &fakeClock{}
	p, _ := newPool(t, backendCfg(a.URL, b.URL), withClock(clk), WithBreaker(1, time.Minute))
	p.reportFailure(p.eps[0], ReasonTransport)
	for range 10 {
		res, err := p.Do(context.Background(), postReq("/", "x"), Headers{})
		if err != nil {
			t.Fatal(err)
		}
		res.Release()
	}
	if hits[0].Load() != 0 || hits[1].Load() != 10 {
		t.Errorf("hits %d/%d", hits[0].Load(), hits[1].Load())
	}
}

func TestFirstHealthyOrder(t *testing.T) {
	var hits [3]atomic.Int64
	var urls []string
	for i := range 3 {
		urls = append(urls, server(t, echoHandler(&hits[i])).URL)
	}
	cfg := backendCfg(urls...)
	cfg.Selection = config.SelectFirstHealthy
	p, _ := newPool(t, cfg)
	do := func() string {
		res, err := p.Do(context.Background(), postReq("/", "x"), Headers{})
		if err != nil {
			t.Fatal(err)
		}
		defer res.Release()
		return res.Endpoint
	}
	if got := do(); got != "0" {
		t.Fatalf("got endpoint %s", got)
	}
	p.eps[0].healthy.Store(false)
	if got := do(); got != "1" {
		t.Fatalf("got endpoint %s", got)
	}
	p.eps[1].healthy.Store(false)
	if got := do(); got != "2" {
		t.Fatalf("got endpoint %s", got)
	}
	p.eps[2].healthy.Store(false)
	if got := do(); got != "0" { // fail open: first in order
		t.Fatalf("all unhealthy: got endpoint %s", got)
	}
	if p.Healthy() {
		t.Error("Healthy with every endpoint down")
	}
}

func TestReleaseReturnsBuffer(t *testing.T) {
	s := server(t, echoHandler(nil))
	p, _ := newPool(t, backendCfg(s.URL))
	res, err := p.Do(context.Background(), postReq("/", "x"), Headers{})
	if err != nil {
		t.Fatal(err)
	}
	res.Release()
	res.Release() // idempotent
	if res.Body != nil || res.buf != nil {
		t.Error("Release kept the buffer")
	}
	var nilRes *Response
	nilRes.Release()
}

func TestNewErrorsHideURL(t *testing.T) {
	cases := []*config.Backend{
		backendCfg("ftp://secret-key@host/x"),
		backendCfg("/relative/secret-key"),
		func() *config.Backend { c := backendCfg("http://h/secret-key"); c.Selection = "random"; return c }(),
		func() *config.Backend {
			c := backendCfg("http://h/secret-key")
			c.HealthCheck = &config.HealthCheck{Path: "health"}
			return c
		}(),
		{},
	}
	for i, c := range cases {
		_, err := New("svc", config.RPCJSONRPC, c, zeroLog(), nil)
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		if strings.Contains(err.Error(), "secret-key") {
			t.Errorf("case %d leaks the URL: %v", i, err)
		}
	}
}
