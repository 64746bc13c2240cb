package relayer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/alitto/pond/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/query"
	"github.com/shannon-ops/pocket-relay-miner/relayer/ring"
)

// Deps are the relayer's collaborators. All are required.
type Deps struct {
	Chain     Chain
	Heights   Heights
	Keys      KeyStore
	Verifier  *ring.Verifier
	Meter     Meter // NoMeter{} when meter.enabled is false
	Publisher Publisher
	// Backends holds one Backend per configured (service, rpc type).
	Backends   map[string]map[config.RPCType]Backend
	Registerer prometheus.Registerer
	Log        zerolog.Logger
	// Ready receives the relayer's readiness (see readiness) about once a second while Run
	// runs. Optional.
	Ready func(ok bool, reason string)
	// RedisUp reports whether Redis answers (transport.Health.Up). With the meter enabled and
	// fail_mode closed every relay is refused while it is false, so readiness requires it.
	// Optional: nil leaves Redis out of readiness.
	RedisUp func() bool
	// KeysLoaded reports whether at least one supplier key is loaded; without one every relay
	// is refused (unknown_supplier). Optional: nil leaves keys out of readiness.
	KeysLoaded func() bool
	// Blocks subscribes to new blocks, so the next session is prefetched the moment its first
	// block is known (prefetch.go). Optional: without it, housekeeping's one-second tick does.
	Blocks func() BlockStream
}

// Server serves HTTP relays (HTTP/1.1 and h2c on one port).
type Server struct {
	addr            string
	log             zerolog.Logger
	services        map[string]*service // read-only after New
	unknown         *service            // metric children for relays of no configured service
	hardMax         int64               // global body cap, applied before the service is known
	v               *validator
	keys            KeyStore
	meter           Meter
	pub             Publisher
	streams         *streamMetrics // gRPC and streaming relays (stream_metrics.go)
	heights         Heights
	post            pond.Pool
	postTimeout     time.Duration
	shutdownTimeout time.Duration
	ready           func(bool, string)
	readyMu         sync.Mutex  // orders readiness reports
	redisUp         func() bool // nil unless the meter refuses relays without Redis
	keysLoaded      func() bool
	ws              *wsRelays     // WebSocket relays: upstreams and open bridges
	streamLim       streamLimits  // transports.streaming
	grpcTimeout     time.Duration // transports.grpc.timeout
	recheck         *recheck      // ring_recheck: ring-go under the fast verifier (recheck.go)
	prefetch        *prefetcher   // next-session lookups at session boundaries (prefetch.go)
}

// postTimeout bounds one relay's post-response work (optimistic validation, meter, publish).
const defaultPostTimeout = 30 * time.Second

// New builds the relayer from its config. It starts nothing and does no I/O.
func New(cfg *config.Relayer, d Deps) (*Server, error) {
	if d.Chain == nil || d.Heights == nil || d.Keys == nil || d.Verifier == nil || d.Meter == nil || d.Publisher == nil || d.Registerer == nil {
		return nil, errors.New("relayer: missing dependency")
	}
	if err := query.SetAccountPrefix(); err != nil {
		return nil, fmt.Errorf("relayer: %w", err)
	}
	s := &Server{
		addr: cfg.ListenAddr, log: d.Log, services: map[string]*service{},
		v:    newValidator(d.Chain, d.Heights, d.Verifier),
		keys: d.Keys, meter: d.Meter,
		pub: d.Publisher, heights: d.Heights, postTimeout: defaultPostTimeout,
		shutdownTimeout: cfg.ShutdownTimeout, ready: d.Ready, keysLoaded: d.KeysLoaded,
		hardMax: int64(cfg.DefaultMaxBodyBytes), // raised to the largest service limit below
	}
	if cfg.Meter.Enabled && cfg.Meter.FailMode == config.FailClosed {
		s.redisUp = d.RedisUp
	}
	tr := transportLimits(cfg.Transports)
	s.streamLim, s.grpcTimeout = newStreamLimits(tr.Streaming), tr.GRPC.Timeout
	queue := cfg.Publish.Backlog
	if queue <= 0 {
		queue = 100_000
	}
	s.post = pond.NewPool(4*runtime.GOMAXPROCS(0)+cfg.Publish.Workers, pond.WithQueueSize(queue), pond.WithNonBlocking(true))
	m, err := newMetrics(d.Registerer, func() float64 { return float64(s.post.WaitingTasks()) })
	if err != nil {
		return nil, fmt.Errorf("relayer metrics: %w", err)
	}
	if err := d.Registerer.Register(s.v.rings.refreshes); err != nil {
		return nil, fmt.Errorf("relayer metrics: %w", err)
	}
	if s.prefetch, err = newPrefetcher(s.v, d.Blocks, d.Registerer, d.Log); err != nil {
		return nil, fmt.Errorf("relayer metrics: %w", err)
	}
	if s.recheck, err = newRecheck(cfg.RingRecheck.SampleRate, d.Registerer); err != nil {
		return nil, fmt.Errorf("relayer metrics: %w", err)
	}
	s.unknown = &service{id: unknownServiceLabel, serviceMetrics: m.forService(unknownServiceLabel)}
	for id, sc := range cfg.Services {
		svc, err := newService(id, sc, cfg, d.Backends[id], m)
		if err != nil {
			return nil, err
		}
		s.services[id] = svc
		s.hardMax = max(s.hardMax, svc.maxBody)
	}
	if len(s.services) == 0 {
		return nil, errors.New("relayer: no services configured")
	}
	if s.streams, err = newStreamMetrics(d.Registerer, s.services); err != nil {
		return nil, fmt.Errorf("relayer metrics: %w", err)
	}
	if s.ws, err = newWebSockets(cfg, tr.WebSocket, d.Registerer); err != nil {
		return nil, err
	}
	return s, nil
}

// Run listens on the configured address and serves until ctx ends, then drains.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("relayer listen: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves relays on ln until ctx ends. Then it stops accepting, waits (up to the
// shutdown timeout) for in-flight relays, and finishes queued post-response work before it
// returns. The caller flushes the publisher afterwards.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	// HTTP/1.1 and unencrypted HTTP/2 (h2c, prior knowledge) on one port.
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{
		Handler:           s,
		Protocols:         &protocols,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          nil,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info().Str("addr", ln.Addr().String()).Int("services", len(s.services)).Msg("relayer serving")

	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	s.prefetch.start(ctx)
	s.housekeeping()
	var serveErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case serveErr = <-errc:
			break loop
		case <-tick.C:
			s.housekeeping()
		}
	}
	if s.ready != nil {
		s.ready(false, "stopping")
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	s.ws.shutdown() // hijacked WebSocket connections, which Shutdown does not track
	s.prefetch.stop()
	if serveErr == nil {
		if e := <-errc; !errors.Is(e, http.ErrServerClosed) {
			serveErr = e
		}
	}
	s.post.StopAndWait()
	s.log.Info().Msg("relayer drained")
	return errors.Join(serveErr, err)
}

// Close stops the post-response pool; for tests that use the handler without Serve.
func (s *Server) Close() { s.ws.shutdown(); s.prefetch.stop(); s.post.StopAndWait() }

// housekeeping prunes caches of finished sessions and updates readiness.
func (s *Server) housekeeping() {
	cur := s.heights.Height()
	if cur > 0 {
		s.prefetch.poll(cur) // before prune: it reads the pairs of the session that just ended
		s.v.prune(cur)
		s.ws.expire(cur)
		if p, ok := s.meter.(interface{ prune(int64) }); ok {
			p.prune(cur)
		}
	}
	s.RefreshReadiness()
}

// RefreshReadiness recomputes readiness and reports it to Deps.Ready now. Run does so every
// second; call it when a condition changes (Redis going down or coming back) so that /ready
// does not lag behind what the relayer refuses. Safe for concurrent use: computing and
// reporting happen under one lock, so a stale answer never overwrites a newer one.
func (s *Server) RefreshReadiness() {
	if s.ready == nil {
		return
	}
	s.readyMu.Lock()
	defer s.readyMu.Unlock()
	ok, why := s.readiness()
	s.ready(ok, why)
}

// readiness is true exactly when the relayer would serve the relays it is configured for: a
// block height is known (the validator's not_ready check, heightKnown), a supplier key is
// loaded, Redis answers when the meter fails closed without it, and every service has a
// healthy backend.
func (s *Server) readiness() (bool, string) {
	if !heightKnown(s.heights) {
		return false, "no block height yet"
	}
	if s.keysLoaded != nil && !s.keysLoaded() {
		return false, "no supplier keys loaded"
	}
	if s.redisUp != nil && !s.redisUp() {
		return false, "redis unreachable (meter fail_mode closed)"
	}
	var down []string
	for id, svc := range s.services {
		if !svc.healthy() {
			down = append(down, id)
		}
	}
	if len(down) > 0 {
		sort.Strings(down)
		return false, fmt.Sprintf("no healthy backend for %v", down)
	}
	return true, ""
}

// heightKnown is the one condition behind both the not_ready refusal and readiness.
func heightKnown(h Heights) bool { return h.Height() > 0 }

// transportLimits returns t with every unset (zero or negative) limit replaced by its default,
// for configs not built by config.LoadRelayer (which validates them positive).
func transportLimits(t config.Transports) config.Transports {
	d := config.DefaultTransports()
	ws, st := &t.WebSocket, &t.Streaming
	orDefault(&ws.PingInterval, d.WebSocket.PingInterval)
	orDefault(&ws.PongWait, d.WebSocket.PongWait)
	orDefault(&ws.WriteTimeout, d.WebSocket.WriteTimeout)
	orDefault(&ws.SendQueue, d.WebSocket.SendQueue)
	orDefault(&st.BatchInterval, d.Streaming.BatchInterval)
	orDefault(&st.BatchBytes, d.Streaming.BatchBytes)
	orDefault(&st.BatchEvents, d.Streaming.BatchEvents)
	orDefault(&st.MaxBytes, d.Streaming.MaxBytes)
	orDefault(&t.GRPC.Timeout, d.GRPC.Timeout)
	return t
}

func orDefault[T ~int | ~int64](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}
