package backend

import (
	"context"
	"net"
	"net/http"
	"time"
)

// Transport settings shared by every endpoint; MaxConns comes from the config.
const (
	dialTimeout         = 5 * time.Second
	dialKeepAlive       = 30 * time.Second
	tlsHandshakeTimeout = 5 * time.Second
	idleConnTimeout     = 90 * time.Second
)

// newTransport builds one endpoint's connection pool: at most maxConns connections, all of
// them kept idle for reuse, HTTP/1.1 keep-alive (h2 when an https backend offers it), no
// environment proxy and no transparent gzip (the client's Accept-Encoding is forwarded and the
// backend's encoding passed through untouched).
func newTransport(maxConns int) *http.Transport {
	d := &net.Dialer{Timeout: dialTimeout, KeepAlive: dialKeepAlive}
	return &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, &dialError{err: err}
			}
			return c, nil
		},
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   tlsHandshakeTimeout,
		MaxConnsPerHost:       maxConns,
		MaxIdleConns:          maxConns,
		MaxIdleConnsPerHost:   maxConns,
		IdleConnTimeout:       idleConnTimeout,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
}
