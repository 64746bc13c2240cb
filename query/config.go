package query

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Defaults for the zero fields of Config.
const (
	DefaultTimeout     = 5 * time.Second
	DefaultMaxRetries  = 3
	DefaultBackoffBase = 100 * time.Millisecond
	DefaultBackoffMax  = 2 * time.Second
)

// Config says where the node is and how patient to be with it. It is a plain struct so that
// package config can fill it without this package importing config.
type Config struct {
	// GRPCAddr is host:port of the node's Cosmos gRPC server (usually port 9090). Required for
	// the gRPC methods.
	GRPCAddr string
	// CometRPCURL is the http(s) URL of the node's CometBFT RPC (usually port 26657). Required
	// for Block, Status and ABCIInfo.
	CometRPCURL string
	// Insecure turns TLS off for gRPC (plaintext, as on a local node). When false the
	// connection uses TLS 1.2+ with the system roots. The RPC's TLS follows its URL scheme.
	Insecure bool
	// Timeout bounds one attempt of one call. Default DefaultTimeout (5s); must not be negative.
	Timeout time.Duration
	// MaxRetries is how many times a transiently failed call is retried after its first
	// attempt. Default DefaultMaxRetries (3); -1 means never retry.
	MaxRetries int
	// BackoffBase is the wait before the first retry; each later retry doubles it, up to
	// BackoffMax, and the actual wait is uniformly random in [0, that]. Defaults 100ms and 2s.
	BackoffBase time.Duration
	BackoffMax  time.Duration
}

// withDefaults returns c with zero fields set to their defaults, or an error naming the field
// that is out of range.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	if c.Timeout < 0 {
		errs = append(errs, errors.New("query.timeout: must not be negative"))
	}
	if c.MaxRetries < -1 {
		errs = append(errs, errors.New("query.max_retries: must be -1 (never) or more"))
	}
	if c.BackoffBase < 0 || c.BackoffMax < 0 {
		errs = append(errs, errors.New("query.backoff: must not be negative"))
	}
	if c.GRPCAddr == "" && c.CometRPCURL == "" {
		errs = append(errs, errors.New("query: want a grpc address, a comet rpc url, or both"))
	}
	if c.CometRPCURL != "" {
		if u, err := url.Parse(c.CometRPCURL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			errs = append(errs, fmt.Errorf("query.comet_rpc_url: want an absolute http(s) URL, got %q", c.CometRPCURL))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return c, err
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	switch c.MaxRetries {
	case 0:
		c.MaxRetries = DefaultMaxRetries
	case -1:
		c.MaxRetries = 0
	}
	if c.BackoffBase == 0 {
		c.BackoffBase = DefaultBackoffBase
	}
	if c.BackoffMax == 0 {
		c.BackoffMax = DefaultBackoffMax
	}
	if c.BackoffMax < c.BackoffBase {
		c.BackoffMax = c.BackoffBase
	}
	return c, nil
}
