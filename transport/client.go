package transport

import (
	"crypto/tls"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// PoolOptions are the connection-pool settings shared by every Redis deployment kind. Zero
// fields keep go-redis' defaults.
type PoolOptions struct {
	PoolSize     int
	MinIdleConns int
	DialTimeout  time.Duration
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	PoolTimeout  time.Duration
	MaxRetries   int
}

// NewClient builds a Redis client from one URL:
//
//	redis://[user:password@]host:port[/db]            standalone
//	rediss://…                                         standalone over TLS
//	redis+sentinel://[user:password@]h1:p1,h2:p2/master[/db]
//	redis+cluster://[user:password@]h1:p1,h2:p2        (rediss+cluster:// for TLS)
//
// The URL is parsed completely before any connection is made, and the error never repeats a
// password.
func NewClient(rawURL string, pool PoolOptions) (redis.UniversalClient, error) {
	opts, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	applyPool(opts, pool)
	return redis.NewUniversalClient(opts), nil
}

// ParseURL turns a Redis URL into UniversalOptions. The options select the deployment kind:
// MasterName set means Sentinel, IsClusterMode means Cluster, otherwise standalone.
func ParseURL(rawURL string) (*redis.UniversalOptions, error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, fmt.Errorf("redis url: want scheme://host:port, got %q", redactURL(rawURL))
	}
	var tlsOn bool
	var kind string
	switch scheme {
	case "redis":
		kind = "standalone"
	case "rediss":
		kind, tlsOn = "standalone", true
	case "redis+sentinel":
		kind = "sentinel"
	case "rediss+sentinel":
		kind, tlsOn = "sentinel", true
	case "redis+cluster":
		kind = "cluster"
	case "rediss+cluster":
		kind, tlsOn = "cluster", true
	default:
		return nil, fmt.Errorf("redis url: unknown scheme %q (want redis, rediss, redis+sentinel or redis+cluster)", scheme)
	}
	// Multi-host URLs are not valid for net/url, so split the host list off first.
	userinfo, hostsAndPath := "", rest
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		userinfo, hostsAndPath = rest[:at], rest[at+1:]
	}
	if strings.ContainsAny(hostsAndPath, "?#") {
		return nil, fmt.Errorf("redis url: query parameters are not supported; use the redis config section")
	}
	hostList, path, _ := strings.Cut(hostsAndPath, "/")
	opts := &redis.UniversalOptions{}
	if userinfo != "" {
		u, err := url.Parse("x://" + userinfo + "@h")
		if err != nil || u.User == nil {
			return nil, fmt.Errorf("redis url: malformed user info")
		}
		opts.Username = u.User.Username()
		opts.Password, _ = u.User.Password()
		if kind == "sentinel" {
			opts.SentinelUsername, opts.SentinelPassword = opts.Username, opts.Password
		}
	}
	for _, h := range strings.Split(hostList, ",") {
		if h == "" {
			continue
		}
		if _, port, err := splitHostPort(h); err != nil {
			return nil, fmt.Errorf("redis url: host %q: %w", h, err)
		} else if port == "" {
			h += ":6379"
		}
		opts.Addrs = append(opts.Addrs, h)
	}
	if len(opts.Addrs) == 0 {
		return nil, fmt.Errorf("redis url: no host in %q", redactURL(rawURL))
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) == 1 && segs[0] == "" {
		segs = nil
	}
	switch kind {
	case "standalone":
		if len(opts.Addrs) != 1 {
			return nil, fmt.Errorf("redis url: a standalone url names one host; use redis+cluster:// or redis+sentinel:// for several")
		}
		if err := parseDB(segs, 1, opts); err != nil {
			return nil, err
		}
	case "sentinel":
		if len(segs) == 0 || segs[0] == "" {
			return nil, fmt.Errorf("redis url: a sentinel url needs the master name as its path (redis+sentinel://h:26379/mymaster)")
		}
		opts.MasterName = segs[0]
		if err := parseDB(segs[1:], 1, opts); err != nil {
			return nil, err
		}
	case "cluster":
		if len(segs) != 0 {
			return nil, fmt.Errorf("redis url: a cluster url has no path (Redis Cluster has only db 0)")
		}
		opts.IsClusterMode = true
	}
	if tlsOn {
		opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return opts, nil
}

func parseDB(segs []string, max int, opts *redis.UniversalOptions) error {
	if len(segs) > max {
		return fmt.Errorf("redis url: unexpected path segments %q", strings.Join(segs, "/"))
	}
	if len(segs) == 1 && segs[0] != "" {
		db, err := strconv.Atoi(segs[0])
		if err != nil || db < 0 {
			return fmt.Errorf("redis url: database %q is not a non-negative number", segs[0])
		}
		opts.DB = db
	}
	return nil
}

func splitHostPort(h string) (host, port string, err error) {
	if strings.HasPrefix(h, "[") { // IPv6
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return "", "", fmt.Errorf("unclosed '['")
		}
		host, rest := h[1:end], h[end+1:]
		if rest == "" {
			return host, "", nil
		}
		if !strings.HasPrefix(rest, ":") {
			return "", "", fmt.Errorf("junk after ']'")
		}
		port = rest[1:]
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 {
		host, port = h[:i], h[i+1:]
	} else {
		host = h
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			return "", "", fmt.Errorf("port %q is not in 1..65535", port)
		}
	}
	if host == "" {
		return "", "", fmt.Errorf("empty host")
	}
	return host, port, nil
}

func applyPool(o *redis.UniversalOptions, p PoolOptions) {
	o.PoolSize = p.PoolSize
	o.MinIdleConns = p.MinIdleConns
	o.DialTimeout = p.DialTimeout
	o.ReadTimeout = p.ReadTimeout
	o.WriteTimeout = p.WriteTimeout
	o.PoolTimeout = p.PoolTimeout
	o.MaxRetries = p.MaxRetries
}

// RedactURL hides the password of a Redis URL, for logs and errors.
func RedactURL(rawURL string) string { return redactURL(rawURL) }

func redactURL(rawURL string) string {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		if strings.Contains(rawURL, "@") {
			return "<redacted>"
		}
		return rawURL
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return rawURL
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return rawURL
	}
	return scheme + "://" + user + ":<secret>@" + rest[at+1:]
}
