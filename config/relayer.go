package config

import "time"

// Relayer is the configuration of `pocket-relay-miner relayer`.
type Relayer struct {
	// ListenAddr is where relays are served (HTTP/1.1 and h2c on one port).
	// Default DefaultRelayerListenAddr.
	ListenAddr string `yaml:"listen_addr"`

	Common `yaml:",inline"`

	// DefaultValidationMode applies to services that name none: eager validates before the
	// backend call, optimistic after the response. Default eager.
	DefaultValidationMode ValidationMode `yaml:"default_validation_mode"`
	// DefaultMaxBodyBytes bounds a relay request body for services that name none. Default 10MiB.
	DefaultMaxBodyBytes ByteSize `yaml:"default_max_body_bytes"`
	// Services maps a service id (as staked on chain) to how it is served. At least one.
	Services map[string]*Service `yaml:"services"`
	// Publish bounds the hand-off of mined relays to Redis.
	Publish Publish `yaml:"publish"`
	// Meter is the over-servicing protection.
	Meter Meter `yaml:"meter"`
	// Transports bounds WebSocket bridges, streamed answers and gRPC calls.
	Transports Transports `yaml:"transports"`
	// RingRecheck re-verifies a sample of accepted relays with ring-go, the chain's
	// implementation, under the fast verifier.
	RingRecheck RingRecheck `yaml:"ring_recheck"`
	// ShutdownTimeout bounds the drain on SIGTERM. Default 30s.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
}

// ValidationMode says when a relay is validated.
type ValidationMode string

// Validation modes.
const (
	ValidationEager      ValidationMode = "eager"
	ValidationOptimistic ValidationMode = "optimistic"
)

// Service is how one service id is served.
type Service struct {
	// ValidationMode overrides default_validation_mode.
	ValidationMode ValidationMode `yaml:"validation_mode"`
	// MaxBodyBytes overrides default_max_body_bytes.
	MaxBodyBytes ByteSize `yaml:"max_body_bytes"`
	// Backends maps an rpc type (jsonrpc, rest, cometbft, websocket, grpc) to its upstream.
	// At least one.
	Backends map[RPCType]*Backend `yaml:"backends"`
	// DefaultBackend is the rpc type that answers HTTP relays without an Rpc-Type header, and
	// those whose header names a type with no backend here (poktroll's default service_config).
	// Optional: by default the jsonrpc backend, or the only backend of a single-backend
	// service. Must name a configured backend other than websocket.
	DefaultBackend RPCType `yaml:"default_backend"`
	// StrictRPCType refuses (relayer_proxy 4) a relay whose Rpc-Type header names a type this
	// service has no backend for, instead of serving it with the default backend as poktroll's
	// relay miner does. Default false.
	StrictRPCType bool `yaml:"strict_rpc_type"`
}

// DefaultRPCType is the rpc type of the service's default backend: default_backend when set,
// else jsonrpc when configured, else the only backend of a single-backend service; false when
// there is none.
func (s *Service) DefaultRPCType() (RPCType, bool) {
	if s.DefaultBackend != "" {
		return s.DefaultBackend, s.Backends[s.DefaultBackend] != nil
	}
	if s.Backends[RPCJSONRPC] != nil {
		return RPCJSONRPC, true
	}
	if len(s.Backends) == 1 {
		for t := range s.Backends {
			return t, true
		}
	}
	return "", false
}

// RPCType names a backend kind as the Rpc-Type header selects it.
type RPCType string

// RPC types, with the Rpc-Type header value each answers (PROTOCOL.md §8.4).
const (
	RPCGRPC      RPCType = "grpc"      // 1
	RPCWebSocket RPCType = "websocket" // 2
	RPCJSONRPC   RPCType = "jsonrpc"   // 3
	RPCREST      RPCType = "rest"      // 4
	RPCCometBFT  RPCType = "cometbft"  // 5
)

// RPCTypes lists the known rpc types in header order.
var RPCTypes = []RPCType{RPCGRPC, RPCWebSocket, RPCJSONRPC, RPCREST, RPCCometBFT}

// Selection picks an endpoint among several.
type Selection string

// Endpoint selection policies.
const (
	SelectRoundRobin   Selection = "round_robin"
	SelectFirstHealthy Selection = "first_healthy"
)

// Backend is the upstream of one (service, rpc type).
type Backend struct {
	// URL of the backend (http, https, ws or wss); its path is the base path requests are
	// joined to. A Secret because provider URLs often embed API keys. Exactly one of url and
	// urls.
	URL Secret `yaml:"url"`
	// URLs lists several endpoints; selection chooses among them.
	URLs []Secret `yaml:"urls"`
	// Selection is round_robin or first_healthy. Default round_robin.
	Selection Selection `yaml:"selection"`
	// Headers are added to every backend request.
	Headers map[string]string `yaml:"headers"`
	// BasicAuth sends HTTP basic credentials.
	BasicAuth *BasicAuth `yaml:"basic_auth"`
	// BearerToken sends "Authorization: Bearer <token>". Exclusive with basic_auth.
	BearerToken Secret `yaml:"bearer_token"`
	// Timeout bounds one relay's backend exchange, retries included. Default 30s.
	Timeout time.Duration `yaml:"timeout"`
	// MaxConns bounds connections per endpoint. Default 256.
	MaxConns int `yaml:"max_conns"`
	// MaxResponseBytes bounds one answer of the backend, whatever carries it: an HTTP or gRPC
	// response body, a non-streaming body on the streaming path, one WebSocket message. A larger
	// one is refused (backend_response_too_large; relays_rejected_total reason backend_error)
	// and never forwarded; a WebSocket bridge closes after it. A streamed (SSE, NDJSON) answer
	// is cut at the smaller of this and transports.streaming.max_bytes instead, since its first
	// frames are out before its size is known. Default 64MiB.
	MaxResponseBytes ByteSize `yaml:"max_response_bytes"`
	// HealthCheck enables active health checks of every endpoint.
	HealthCheck *HealthCheck `yaml:"health_check"`
}

// Endpoints returns the configured endpoint URLs, whichever of url/urls was used.
func (b *Backend) Endpoints() []Secret {
	if b.URL != "" {
		return []Secret{b.URL}
	}
	return b.URLs
}

// BasicAuth is a username and password for a backend.
type BasicAuth struct {
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
}

// HealthCheck probes an endpoint periodically.
type HealthCheck struct {
	// Path is requested with GET on the endpoint's origin. Required.
	Path string `yaml:"path"`
	// Interval between probes. Default 10s.
	Interval time.Duration `yaml:"interval"`
	// Timeout of one probe. Default 2s.
	Timeout time.Duration `yaml:"timeout"`
}

// Publish bounds the in-memory backlog in front of the Redis stream publisher.
type Publish struct {
	// Backlog is how many relays may wait for Redis. Default 100000.
	Backlog int `yaml:"backlog"`
	// Workers publish concurrently. Default 4.
	Workers int `yaml:"workers"`
	// OverflowPolicy applies when the backlog is full: drop_newest, drop_oldest or wait.
	// Default drop_newest. Every drop is counted with its reason.
	OverflowPolicy OverflowPolicy `yaml:"overflow_policy"`
	// OverflowWait bounds how long the wait policy blocks post-response work. Default 100ms.
	OverflowWait time.Duration `yaml:"overflow_wait"`
}

// OverflowPolicy is what happens to a relay when the publish backlog is full.
type OverflowPolicy string

// Overflow policies.
const (
	OverflowDropNewest OverflowPolicy = "drop_newest"
	OverflowDropOldest OverflowPolicy = "drop_oldest"
	OverflowWait       OverflowPolicy = "wait"
)

// Meter is the relay meter (over-servicing protection, PROTOCOL.md §4.4).
type Meter struct {
	// Enabled meters relays against the application's stake. Default true.
	Enabled bool `yaml:"enabled"`
	// FailMode decides when Redis is unreachable: open serves, closed refuses. Default open.
	FailMode FailMode `yaml:"fail_mode"`
}

// RingRecheck is the run-time safety net under relayer/ring: a relay the fast verifier
// accepts but the chain would reject would fail any proof it is sampled for.
type RingRecheck struct {
	// SampleRate is the fraction of accepted relays whose ring signature is verified again
	// with ring-go after the answer, on the post-response pool; a disagreement is counted
	// (ring_recheck_total{outcome="mismatch"}), logged, and the relay is not mined. In 0..1;
	// 0 disables. One ring-go check costs about 1.7ms of CPU for a ring of 2. Default 0.001.
	SampleRate float64 `yaml:"sample_rate"`
}

// FailMode is the meter's behaviour when it cannot reach Redis.
type FailMode string

// Fail modes.
const (
	FailOpen   FailMode = "open"
	FailClosed FailMode = "closed"
)

// Transports are the limits of the relay transports beyond plain HTTP.
type Transports struct {
	WebSocket WebSocketLimits `yaml:"websocket"`
	Streaming StreamingLimits `yaml:"streaming"`
	GRPC      GRPCLimits      `yaml:"grpc"`
}

// WebSocketLimits bound each WebSocket bridge (both the gateway and the backend side).
type WebSocketLimits struct {
	// PingInterval is how often each side is pinged. Default 30s.
	PingInterval time.Duration `yaml:"ping_interval"`
	// PongWait is how long a side may stay silent (no message, no pong) before the bridge
	// closes; more than ping_interval. Default 75s.
	PongWait time.Duration `yaml:"pong_wait"`
	// WriteTimeout bounds one message or control frame write. Default 10s.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// SendQueue is how many messages may wait for one connection's writer; a full queue
	// blocks the reader of the other side. Default 64.
	SendQueue int `yaml:"send_queue"`
}

// StreamingLimits bound one streamed (SSE, NDJSON) relay.
type StreamingLimits struct {
	// BatchInterval is the longest a partial event waits for its end before it is framed
	// anyway. Default 100ms.
	BatchInterval time.Duration `yaml:"batch_interval"`
	// BatchBytes bounds the backend bytes of one frame. Default 64KiB.
	BatchBytes ByteSize `yaml:"batch_bytes"`
	// BatchEvents bounds the events of one frame. Default 32.
	BatchEvents int `yaml:"batch_events"`
	// MaxBytes bounds a whole stream (it is kept to form the mined relay); a longer stream is
	// cut there and mined as cut. The backend's max_response_bytes bounds it too: the smaller
	// applies. Default 16MiB.
	MaxBytes ByteSize `yaml:"max_bytes"`
}

// GRPCLimits bound one gRPC relay.
type GRPCLimits struct {
	// Timeout bounds one gRPC call, response body included (the backend timeout bounds the
	// wait for the response headers). Default 60s.
	Timeout time.Duration `yaml:"timeout"`
}
