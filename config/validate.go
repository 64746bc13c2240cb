package config

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
)

func (r *Relayer) applyDefaults() {
	defaultKeys(&r.Keys)
	for _, s := range r.Services {
		if s != nil {
			defaultService(s, r)
		}
	}
}

func (m *Miner) applyDefaults() {
	defaultKeys(&m.Keys)
}

func (r *Relayer) validate(p *problems) {
	checkListen(p, "listen_addr", r.ListenAddr)
	r.Common.validate(p)
	checkEnum(p, "default_validation_mode", r.DefaultValidationMode, ValidationEager, ValidationOptimistic)
	if r.DefaultMaxBodyBytes <= 0 {
		p.add("default_max_body_bytes", "must be positive")
	}
	if len(r.Services) == 0 {
		p.add("services", "at least one service is required")
	}
	for _, id := range sortedKeys(r.Services) {
		path := "services." + id
		s := r.Services[id]
		if s == nil {
			p.add(path, "empty service: give it backends")
			continue
		}
		s.validate(p, path)
	}
	pub := r.Publish
	if pub.Backlog <= 0 {
		p.add("publish.backlog", "must be positive")
	}
	if pub.Workers <= 0 {
		p.add("publish.workers", "must be positive")
	}
	checkEnum(p, "publish.overflow_policy", pub.OverflowPolicy, OverflowDropNewest, OverflowDropOldest, OverflowWait)
	checkPositive(p, "publish.overflow_wait", pub.OverflowWait)
	checkEnum(p, "meter.fail_mode", r.Meter.FailMode, FailOpen, FailClosed)
	if rate := r.RingRecheck.SampleRate; !(rate >= 0 && rate <= 1) { // NaN fails both
		p.add("ring_recheck.sample_rate", "must be a fraction in 0..1 (0 disables it), got %v", rate)
	}
	r.Transports.validate(p)
	checkPositive(p, "shutdown_timeout", r.ShutdownTimeout)
}

func (t *Transports) validate(p *problems) {
	ws := t.WebSocket
	checkPositive(p, "transports.websocket.ping_interval", ws.PingInterval)
	checkPositive(p, "transports.websocket.pong_wait", ws.PongWait)
	if ws.PingInterval > 0 && ws.PongWait > 0 && ws.PongWait <= ws.PingInterval {
		p.add("transports.websocket.pong_wait", "must be more than ping_interval (%s), or a live side is closed between two pings", ws.PingInterval)
	}
	checkPositive(p, "transports.websocket.write_timeout", ws.WriteTimeout)
	if ws.SendQueue <= 0 {
		p.add("transports.websocket.send_queue", "must be positive")
	}
	st := t.Streaming
	checkPositive(p, "transports.streaming.batch_interval", st.BatchInterval)
	if st.BatchBytes <= 0 {
		p.add("transports.streaming.batch_bytes", "must be positive")
	}
	if st.BatchEvents <= 0 {
		p.add("transports.streaming.batch_events", "must be positive")
	}
	if st.MaxBytes <= 0 {
		p.add("transports.streaming.max_bytes", "must be positive")
	}
	if st.BatchBytes > 0 && st.MaxBytes > 0 && st.BatchBytes > st.MaxBytes {
		p.add("transports.streaming.batch_bytes", "must be at most max_bytes (%s)", st.MaxBytes)
	}
	checkPositive(p, "transports.grpc.timeout", t.GRPC.Timeout)
}

func (s *Service) validate(p *problems, path string) {
	checkEnum(p, path+".validation_mode", s.ValidationMode, ValidationEager, ValidationOptimistic)
	if s.MaxBodyBytes <= 0 {
		p.add(path+".max_body_bytes", "must be positive")
	}
	if len(s.Backends) == 0 {
		p.add(path+".backends", "at least one rpc type is required (one of %s)", rpcTypeList())
	}
	for _, t := range sortedKeys(s.Backends) {
		bp := path + ".backends." + string(t)
		if !slices.Contains(RPCTypes, t) {
			p.add(bp, "unknown rpc type %q (want one of %s)", t, rpcTypeList())
			continue
		}
		b := s.Backends[t]
		if b == nil {
			p.add(bp, "empty backend: give it a url")
			continue
		}
		b.validate(p, bp, t)
	}
	if d := s.DefaultBackend; d != "" {
		switch {
		case d == RPCWebSocket:
			p.add(path+".default_backend", "websocket cannot answer HTTP relays; name jsonrpc, rest, cometbft or grpc")
		case s.Backends[d] == nil:
			p.add(path+".default_backend", "%q has no backend in %s.backends", d, path)
		}
	}
}

func (b *Backend) validate(p *problems, path string, t RPCType) {
	switch {
	case b.URL != "" && len(b.URLs) > 0:
		p.add(path+".urls", "set url or urls, not both")
	case b.URL == "" && len(b.URLs) == 0:
		p.add(path+".url", "required (or urls)")
	}
	if b.URL != "" {
		checkBackendURL(p, path+".url", b.URL, t)
	}
	if len(b.URLs) > MaxBackendEndpoints {
		p.add(path+".urls", "at most %d endpoints, got %d", MaxBackendEndpoints, len(b.URLs))
	}
	if b.MaxResponseBytes <= 0 {
		p.add(path+".max_response_bytes", "must be positive")
	}
	for i, u := range b.URLs {
		checkBackendURL(p, fmt.Sprintf("%s.urls[%d]", path, i), u, t)
	}
	checkEnum(p, path+".selection", b.Selection, SelectRoundRobin, SelectFirstHealthy)
	if b.BasicAuth != nil && b.BearerToken != "" {
		p.add(path+".bearer_token", "set basic_auth or bearer_token, not both")
	}
	if b.BasicAuth != nil && b.BasicAuth.Username == "" {
		p.add(path+".basic_auth.username", "required")
	}
	for name := range b.Headers {
		if name == "" || strings.ContainsAny(name, " :\r\n\t") {
			p.add(path+".headers", "invalid header name %q", name)
		}
	}
	checkPositive(p, path+".timeout", b.Timeout)
	if b.MaxConns <= 0 {
		p.add(path+".max_conns", "must be positive")
	}
	if hc := b.HealthCheck; hc != nil {
		if !strings.HasPrefix(hc.Path, "/") {
			p.add(path+".health_check.path", "want an absolute path such as /health, got %q", hc.Path)
		}
		checkPositive(p, path+".health_check.interval", hc.Interval)
		checkPositive(p, path+".health_check.timeout", hc.Timeout)
	}
}

func checkBackendURL(p *problems, path string, s Secret, t RPCType) {
	u, err := url.Parse(s.Value())
	schemes := []string{"http", "https"}
	if t == RPCWebSocket {
		schemes = []string{"ws", "wss", "http", "https"}
	}
	// The URL may carry an API key: the message shows its scheme and host only.
	if err != nil || u.Host == "" || !slices.Contains(schemes, u.Scheme) {
		p.add(path, "want an absolute %s URL with a host", strings.Join(schemes, "/"))
	}
}

func (c *Common) validate(p *problems) {
	if c.Redis.URL == "" {
		p.add("redis.url", "required")
	} else if u := c.Redis.URL.Value(); !strings.Contains(u, "://") {
		p.add("redis.url", "want redis://host:port (or rediss://, redis+sentinel://, redis+cluster://)")
	}
	if strings.ContainsAny(c.Redis.KeyPrefix, "{} \t") || c.Redis.KeyPrefix == "" {
		p.add("redis.key_prefix", "must be non-empty with no braces or whitespace")
	}
	if c.Redis.PoolSize < 0 {
		p.add("redis.pool_size", "must not be negative")
	}
	if c.Redis.MinIdleConns < 0 {
		p.add("redis.min_idle_conns", "must not be negative")
	}
	checkPositive(p, "redis.dial_timeout", c.Redis.DialTimeout)
	checkPositive(p, "redis.read_timeout", c.Redis.ReadTimeout)
	checkPositive(p, "redis.write_timeout", c.Redis.WriteTimeout)

	if u, err := url.Parse(c.PocketNode.RPCURL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "tcp") {
		p.add("pocket_node.rpc_url", "want an absolute http(s) URL of CometBFT RPC, got %q", c.PocketNode.RPCURL)
	}
	if _, _, err := net.SplitHostPort(c.PocketNode.GRPCAddr); err != nil {
		p.add("pocket_node.grpc_addr", "want host:port, got %q", c.PocketNode.GRPCAddr)
	}
	checkPositive(p, "pocket_node.query_timeout", c.PocketNode.QueryTimeout)
	if c.PocketNode.QueryRetries < 0 {
		p.add("pocket_node.query_retries", "must not be negative")
	}
	if err := CheckBlockTime(c.PocketNode.BlockTime); err != nil {
		p.add("pocket_node.block_time", "%v", err)
	}

	c.Keys.validate(p)

	if c.Metrics.Enabled {
		checkListen(p, "metrics.addr", c.Metrics.Addr)
	}
	checkListen(p, "health.addr", c.Health.Addr)
	if c.Pprof.Enabled {
		checkListen(p, "pprof.addr", c.Pprof.Addr)
		if host, _, err := net.SplitHostPort(c.Pprof.Addr); err == nil {
			if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				p.add("pprof.addr", "pprof exposes process internals: bind it to a loopback address such as 127.0.0.1:6060")
			}
		}
	}
	checkEnum(p, "logging.level", c.Logging.Level, "trace", "debug", "info", "warn", "error")
	checkEnum(p, "logging.format", c.Logging.Format, "json", "console")
}

func (k *Keys) validate(p *problems) {
	if k.KeysFile == "" && k.KeysDir == "" && k.Keyring == nil {
		p.add("keys", "no key source: set keys_file, keys_dir or keyring")
	}
	if kr := k.Keyring; kr != nil {
		checkEnum(p, "keys.keyring.backend", kr.Backend, "test", "file", "os")
		if kr.Dir == "" && kr.Backend != "os" {
			p.add("keys.keyring.dir", "required for the %s backend", kr.Backend)
		}
		if len(kr.KeyNames) == 0 {
			p.add("keys.keyring.key_names", "name at least one key")
		}
		if kr.Backend == "file" && kr.Passphrase == "" {
			p.add("keys.keyring.passphrase", "required for the file backend (use \"${VAR}\")")
		}
	}
}

func (m *Miner) validate(p *problems) {
	m.Common.validate(p)
	l := m.Leader
	checkPositive(p, "leader.lease_ttl", l.LeaseTTL)
	checkPositive(p, "leader.renew_interval", l.RenewInterval)
	checkPositive(p, "leader.heartbeat_interval", l.HeartbeatInterval)
	if l.RenewInterval > 0 && l.LeaseTTL > 0 && 3*l.RenewInterval > l.LeaseTTL {
		p.add("leader.renew_interval", "must be at most a third of lease_ttl (%s), so one failed renewal does not lose the lease", l.LeaseTTL)
	}
	c := m.Consumer
	if c.BatchSize <= 0 || c.BatchSize > 100_000 {
		p.add("consumer.batch_size", "must be in 1..100000")
	}
	checkPositive(p, "consumer.block_timeout", c.BlockTimeout)
	if c.Linger < 0 || c.Linger > MaxConsumeLinger {
		p.add("consumer.linger", "must be in 0..%s (0 disables it), got %s", MaxConsumeLinger, c.Linger)
	}
	checkPositive(p, "consumer.reclaim_idle", c.ReclaimIdle)
	checkPositive(p, "consumer.reclaim_interval", c.ReclaimInterval)
	if m.Tx.ChainID == "" {
		p.add("tx.chain_id", "required")
	}
	if m.Tx.GasAdjustment < 1 {
		p.add("tx.gas_adjustment", "must be at least 1")
	}
	if m.Tx.GasPrices != "" && !strings.HasSuffix(m.Tx.GasPrices, "upokt") {
		p.add("tx.gas_prices", "want an amount in upokt such as 0.001upokt, got %q", m.Tx.GasPrices)
	}
	if m.Tx.Fees != "" && !strings.HasSuffix(m.Tx.Fees, "upokt") {
		p.add("tx.fees", "want an amount in upokt such as 1000upokt, got %q", m.Tx.Fees)
	}
	if m.Tx.ConfirmTimeout < 0 {
		p.add("tx.confirm_timeout", "must not be negative (0 derives it from pocket_node.block_time)")
	}
	if m.Sessions.ClaimDelayBlocks < 0 {
		p.add("sessions.claim_delay_blocks", "must not be negative")
	}
	if m.Sessions.ProofDelayBlocks < 0 {
		p.add("sessions.proof_delay_blocks", "must not be negative")
	}
	checkPositive(p, "sessions.supplier_recheck", m.Sessions.SupplierRecheck)
	if m.Sessions.StateTTLSessions < 1 {
		p.add("sessions.state_ttl_sessions", "must be at least 1")
	}
	checkPositive(p, "shutdown_timeout", m.ShutdownTimeout)
}

// CheckBlockTime reports whether d is a usable expected block time: positive and at most
// MaxNodeBlockTime. The --block-time flag is checked with it too.
func CheckBlockTime(d time.Duration) error {
	switch {
	case d <= 0:
		return fmt.Errorf("must be a positive duration such as 1s or 30s, got %s", d)
	case d > MaxNodeBlockTime:
		return fmt.Errorf("must be at most %s (the chain's expected time between blocks), got %s", MaxNodeBlockTime, d)
	}
	return nil
}

func checkListen(p *problems, path, addr string) {
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
		p.add(path, "want host:port such as 127.0.0.1:9464, got %q", addr)
	}
}

func checkPositive(p *problems, path string, d time.Duration) {
	if d <= 0 {
		p.add(path, "must be a positive duration such as 500ms or 5s")
	}
}

func checkEnum[T ~string](p *problems, path string, v T, allowed ...T) {
	if !slices.Contains(allowed, v) {
		s := make([]string, len(allowed))
		for i, a := range allowed {
			s[i] = string(a)
		}
		p.add(path, "%q is not one of %s", v, strings.Join(s, ", "))
	}
}

func rpcTypeList() string {
	s := make([]string, len(RPCTypes))
	for i, t := range RPCTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
