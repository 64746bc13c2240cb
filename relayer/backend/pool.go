package backend

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

// MaxEndpoints bounds the endpoints of one backend (the retry loop tracks tried endpoints in a
// 64-bit set).
const MaxEndpoints = 64

// Pool is the upstream of one (service, rpc type): its endpoints, how one is chosen, their
// health and breakers, and the exchange itself (Do, DoStream). It is safe for concurrent use.
// Build it with New; call Run to start active health checks and Close when done.
type Pool struct {
	service string
	rpcType string
	eps     []*endpoint
	sel     config.Selection
	rr      atomic.Uint64

	timeout       time.Duration
	maxResp       int64
	static        []headerKV
	serviceHdr    []string        // the Pocket-Service value
	baseQueryKeys map[string]bool // query keys set by any endpoint URL; nil when none
	hc            *healthCheck
	rounds        int // health-check rounds started; only the Run goroutine touches it

	breakerK        int32
	breakerCooldown int64
	now             func() int64 // monotonic nanoseconds

	log        zerolog.Logger
	retries    [numOutcomes]prometheus.Counter
	afterRound func() // test hook: called after each health-check round
}

type headerKV struct {
	key    string
	values []string
}

// endpoint is one configured URL, parsed once.
type endpoint struct {
	idx         int
	name        string // the index as a string: the endpoint label and the name in logs
	scheme      string // http or https (ws and wss are mapped to them)
	host        string
	basePath    string
	baseEscaped string
	baseRawPath bool // the base path has a non-default encoding
	baseQuery   string
	auth        []string // Authorization header value; nil when none
	hcURL       string   // health-check URL; "" without health checks
	tr          *http.Transport
	rt          http.RoundTripper // tr, unless a test swaps it

	healthy atomic.Bool
	br      breaker
	m       endpointMetrics
}

// Option tunes a Pool beyond its config.
type Option func(*Pool)

// WithMaxResponseBytes bounds a response body (default DefaultMaxResponseBytes). A larger body
// fails the exchange with ReasonTooLarge.
func WithMaxResponseBytes(n int64) Option {
	return func(p *Pool) {
		if n > 0 {
			p.maxResp = n
		}
	}
}

// WithBreaker sets the failures that open an endpoint's breaker and the cool-down before a
// probe (defaults DefaultBreakerFailures, DefaultBreakerCooldown).
func WithBreaker(failures int, cooldown time.Duration) Option {
	return func(p *Pool) {
		if failures > 0 {
			p.breakerK = int32(failures)
		}
		if cooldown > 0 {
			p.breakerCooldown = int64(cooldown)
		}
	}
}

// New parses cfg once: endpoint URLs, base paths and queries, static and auth headers, one
// connection pool per endpoint and the metric children. It starts nothing and does no I/O.
// m may be nil (metrics are then kept but not registered). Errors never contain a URL.
func New(service string, rpcType config.RPCType, cfg *config.Backend, log zerolog.Logger, m *Metrics, opts ...Option) (*Pool, error) {
	if cfg == nil {
		return nil, fmt.Errorf("backend %s/%s: no config", service, rpcType)
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	urls := cfg.Endpoints()
	if len(urls) == 0 || len(urls) > MaxEndpoints {
		return nil, fmt.Errorf("backend %s/%s: want 1 to %d endpoints, got %d", service, rpcType, MaxEndpoints, len(urls))
	}
	p := &Pool{
		service:         service,
		rpcType:         string(rpcType),
		sel:             cfg.Selection,
		timeout:         cfg.Timeout,
		maxResp:         DefaultMaxResponseBytes,
		breakerK:        DefaultBreakerFailures,
		breakerCooldown: int64(DefaultBreakerCooldown),
		now:             monotonic,
		log:             log.With().Str("service", service).Str("rpc_type", string(rpcType)).Logger(),
		retries:         m.retryCounters(service, string(rpcType)),
		serviceHdr:      []string{service},
	}
	if err := p.applyConfig(cfg); err != nil {
		return nil, fmt.Errorf("backend %s/%s: %w", service, rpcType, err)
	}
	for _, o := range opts {
		o(p)
	}
	auth := authHeader(cfg)
	maxConns := cfg.MaxConns
	if maxConns <= 0 {
		maxConns = config.DefaultBackendMaxConns
	}
	for i, s := range urls {
		ep, err := p.newEndpoint(i, s.Value(), auth, maxConns, m)
		if err != nil {
			return nil, fmt.Errorf("backend %s/%s endpoint %d: %w", service, rpcType, i, err)
		}
		p.eps = append(p.eps, ep)
	}
	return p, nil
}

// applyConfig checks and copies the pool-wide settings.
func (p *Pool) applyConfig(cfg *config.Backend) error {
	switch p.sel {
	case "":
		p.sel = config.DefaultBackendSelection
	case config.SelectRoundRobin, config.SelectFirstHealthy:
	default:
		return fmt.Errorf("unknown selection %q", p.sel)
	}
	if p.timeout <= 0 {
		p.timeout = config.DefaultBackendTimeout
	}
	names := make([]string, 0, len(cfg.Headers))
	for k := range cfg.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		p.static = append(p.static, headerKV{http.CanonicalHeaderKey(k), []string{cfg.Headers[k]}})
	}
	if hc := cfg.HealthCheck; hc != nil {
		c, err := newHealthCheck(hc)
		if err != nil {
			return err
		}
		p.hc = c
	}
	return nil
}

// authHeader is the configured Authorization value, nil when none.
func authHeader(cfg *config.Backend) []string {
	switch {
	case cfg.BasicAuth != nil:
		return []string{basicAuth(cfg.BasicAuth.Username, cfg.BasicAuth.Password.Value())}
	case cfg.BearerToken != "":
		return []string{"Bearer " + cfg.BearerToken.Value()}
	}
	return nil
}

func basicAuth(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// newEndpoint parses one URL. Credentials in the URL (user:pass@) become basic auth unless
// the backend configures its own.
func (p *Pool) newEndpoint(i int, raw string, auth []string, maxConns int, m *Metrics) (*endpoint, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, errors.New("want an absolute URL with a host") // never echo the URL
	}
	ep := &endpoint{idx: i, name: strconv.Itoa(i), host: u.Host, auth: auth}
	switch u.Scheme {
	case "http", "ws":
		ep.scheme = "http"
	case "https", "wss":
		ep.scheme = "https"
	default:
		return nil, errors.New("want an http, https, ws or wss URL")
	}
	if u.User != nil && auth == nil {
		pass, _ := u.User.Password()
		ep.auth = []string{basicAuth(u.User.Username(), pass)}
	}
	ep.basePath = u.Path
	ep.baseEscaped = u.EscapedPath()
	ep.baseRawPath = u.RawPath != ""
	ep.baseQuery = u.RawQuery
	if u.RawQuery != "" {
		if p.baseQueryKeys == nil {
			p.baseQueryKeys = map[string]bool{}
		}
		for k := range u.Query() {
			p.baseQueryKeys[k] = true
		}
	}
	ep.tr = newTransport(maxConns)
	if p.rpcType == string(config.RPCGRPC) {
		useHTTP2Only(ep.tr)
	}
	ep.rt = ep.tr
	ep.m = m.endpoint(p.service, p.rpcType, ep.name)
	ep.m.open.Set(0)
	if p.hc != nil {
		ep.hcURL = p.hc.url(ep)
		ep.m.healthy.Set(0) // unknown until the first probe
	} else {
		ep.healthy.Store(true)
		ep.m.healthy.Set(1)
	}
	return ep, nil
}

// Close closes the idle connections of every endpoint. Call it after Run returned and no Do
// is in flight.
func (p *Pool) Close() {
	for _, ep := range p.eps {
		ep.tr.CloseIdleConnections()
	}
}

// Service returns the pool's service id.
func (p *Pool) Service() string { return p.service }

// Healthy reports whether at least one endpoint is usable: its health flag is up (always, when
// no health check is configured; after a passing probe otherwise) and its breaker is closed.
// An open breaker stays unhealthy through its cool-down until an attempt or a probe succeeds:
// the cool-down only allows a try, it is no evidence that the endpoint is back. The relayer's
// readiness requires it for every configured backend.
func (p *Pool) Healthy() bool {
	for _, ep := range p.eps {
		if ep.healthy.Load() && !ep.br.isOpen() {
			return true
		}
	}
	return false
}

// pick chooses the endpoint of the next attempt among those not in tried. It prefers an
// endpoint whose health flag is up and whose breaker lets the attempt through; when none is,
// it fails open and returns the first untried endpoint in selection order anyway, so health
// checks and breakers steer traffic but never refuse it on their own. nil: all were tried.
func (p *Pool) pick(tried uint64) *endpoint {
	n := len(p.eps)
	start := 0
	if p.sel == config.SelectRoundRobin && n > 1 {
		start = int((p.rr.Add(1) - 1) % uint64(n))
	}
	now := p.now()
	var fallback *endpoint
	for i := range n {
		ep := p.eps[(start+i)%n]
		if tried&(1<<ep.idx) != 0 {
			continue
		}
		if fallback == nil {
			fallback = ep
		}
		if ep.healthy.Load() && ep.br.allow(now, p.breakerCooldown) {
			if ep.br.isOpen() {
				ep.m.open.Set(1) // half-open probe
			}
			return ep
		}
	}
	return fallback
}

// reportAnswered and reportFailure feed an attempt's result to the endpoint's breaker. Any
// answer, 5xx included, proves the transport works: a 5xx is about one request (often one the
// client chose), not the endpoint being down, so it neither opens nor holds open the breaker.
func (p *Pool) reportAnswered(ep *endpoint) {
	if ep.br.success() {
		ep.m.open.Set(0)
		p.log.Info().Str("endpoint", ep.name).Msg("backend endpoint breaker closed")
	}
}

func (p *Pool) reportFailure(ep *endpoint, r Reason) {
	if ep.br.failure(p.now(), p.breakerK) {
		ep.m.open.Set(1)
		p.log.Warn().Str("endpoint", ep.name).Str("reason", string(r)).
			Int32("failures", p.breakerK).Msg("backend endpoint breaker opened")
	}
}

var clockBase = time.Now()

func monotonic() int64 { return int64(time.Since(clockBase)) }
