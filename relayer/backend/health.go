package backend

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

// healthCheck is the parsed active health check of a pool.
type healthCheck struct {
	path     string // escaped path
	query    string
	interval time.Duration
	timeout  time.Duration
}

func newHealthCheck(hc *config.HealthCheck) (*healthCheck, error) {
	u, err := url.Parse(hc.Path)
	if err != nil || u.Scheme != "" || u.Host != "" || len(hc.Path) == 0 || hc.Path[0] != '/' {
		return nil, errors.New("health_check.path: want an absolute path such as /health")
	}
	c := &healthCheck{path: u.EscapedPath(), query: u.RawQuery, interval: hc.Interval, timeout: hc.Timeout}
	if c.interval <= 0 {
		c.interval = config.DefaultHealthInterval
	}
	if c.timeout <= 0 {
		c.timeout = config.DefaultHealthTimeout
	}
	return c, nil
}

// url is the probe URL of ep: the health path on the endpoint's origin (its base path and
// query are not used).
func (c *healthCheck) url(ep *endpoint) string {
	u := url.URL{Scheme: ep.scheme, Host: ep.host}
	s := u.String() + c.path
	if c.query != "" {
		s += "?" + c.query
	}
	return s
}

// Run performs the active health checks until ctx ends: every endpoint is probed at once, then
// every interval, one endpoint after another, in the calling goroutine. It returns nil after
// ctx ends and starts no goroutine that outlives it. Without a health check configured it
// probes, every ReachInterval, only the endpoints whose breaker is open, by opening a TCP
// connection: a relayer that is not ready gets no traffic, so without this probe nothing would
// ever close the breaker and bring readiness back.
func (p *Pool) Run(ctx context.Context) error {
	if p.hc == nil {
		return p.runReach(ctx)
	}
	t := time.NewTicker(p.hc.interval)
	defer t.Stop()
	for {
		p.probeAll(ctx)
		if p.afterRound != nil {
			p.afterRound()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// probeAll probes every endpoint once and updates its health flag. Changes are logged, and
// every result of the first round.
func (p *Pool) probeAll(ctx context.Context) {
	first := p.rounds == 0
	p.rounds++
	for _, ep := range p.eps {
		if ctx.Err() != nil {
			return
		}
		err := p.probe(ctx, ep)
		if ctx.Err() != nil {
			return // shutting down: not the endpoint's fault
		}
		up := err == nil
		ep.m.healthy.Set(b2f(up))
		if up {
			p.reportAnswered(ep) // a passing probe is the evidence an open breaker waits for
		}
		if ep.healthy.Swap(up) == up && !first {
			continue
		}
		if up {
			p.log.Info().Str("endpoint", ep.name).Msg("backend endpoint healthy")
		} else {
			p.log.Warn().Str("endpoint", ep.name).Str("error", safeMessage(err)).Msg("backend endpoint unhealthy")
		}
	}
}

var errProbeStatus = errors.New("health check status not 2xx")

// probe sends one GET to ep's health URL with the static and auth headers; 2xx is healthy.
func (p *Pool) probe(ctx context.Context, ep *endpoint) error {
	ctx, cancel := context.WithTimeout(ctx, p.hc.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep.hcURL, nil)
	if err != nil {
		return errors.New("health check request")
	}
	for _, kv := range p.static {
		req.Header[kv.key] = kv.values
	}
	if ep.auth != nil {
		req.Header["Authorization"] = ep.auth
	}
	res, err := ep.rt.RoundTrip(req)
	if err != nil {
		return stripURL(err)
	}
	_, _ = io.CopyN(io.Discard, res.Body, 64<<10) // drain a little so the connection is reused
	_ = res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return errProbeStatus
	}
	return nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
