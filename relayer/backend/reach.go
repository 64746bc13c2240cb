package backend

import (
	"context"
	"net"
	"strings"
	"time"
)

// ReachInterval is how often a pool without a health check tries to connect to each endpoint
// whose breaker is open.
const ReachInterval = time.Second

// reachTimeout bounds one connection attempt of the reachability probe.
const reachTimeout = 2 * time.Second

// runReach probes the endpoints with an open breaker until ctx ends (see Run).
func (p *Pool) runReach(ctx context.Context) error {
	t := time.NewTicker(ReachInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		p.reachAll(ctx)
		if p.afterRound != nil {
			p.afterRound()
		}
	}
}

// reachAll tries one TCP connection to every endpoint whose breaker is open; one that accepts
// closes its breaker. Endpoints with a closed breaker are left to the relays themselves.
func (p *Pool) reachAll(ctx context.Context) {
	var d net.Dialer
	for _, ep := range p.eps {
		if !ep.br.isOpen() {
			continue
		}
		dctx, cancel := context.WithTimeout(ctx, reachTimeout)
		c, err := d.DialContext(dctx, "tcp", ep.dialAddr())
		cancel()
		if err != nil {
			continue
		}
		_ = c.Close()
		p.reportAnswered(ep)
	}
}

// dialAddr is the host:port a connection to ep goes to.
func (ep *endpoint) dialAddr() string {
	if _, _, err := net.SplitHostPort(ep.host); err == nil {
		return ep.host
	}
	host := strings.TrimSuffix(strings.TrimPrefix(ep.host, "["), "]")
	if ep.scheme == "https" {
		return net.JoinHostPort(host, "443")
	}
	return net.JoinHostPort(host, "80")
}
