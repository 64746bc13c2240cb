package config

import "time"

// Common holds the sections the relayer and the miner share. It is inlined in both files.
type Common struct {
	// Redis is the only shared state of the fleet.
	Redis Redis `yaml:"redis"`
	// PocketNode is the full node both processes query and follow.
	PocketNode PocketNode `yaml:"pocket_node"`
	// Keys are the supplier operator keys this process signs with.
	Keys Keys `yaml:"keys"`
	// Metrics serves Prometheus /metrics.
	Metrics Metrics `yaml:"metrics"`
	// Health serves /health (liveness) and /ready (readiness).
	Health Health `yaml:"health"`
	// Pprof serves net/http/pprof. Off by default; loopback only.
	Pprof Pprof `yaml:"pprof"`
	// Logging sets the log level and format.
	Logging Logging `yaml:"logging"`
}

// Redis selects the Redis deployment and its connection pool.
type Redis struct {
	// URL of Redis: redis://host:port[/db], rediss:// for TLS,
	// redis+sentinel://h1:p1,h2:p2/master[/db] or redis+cluster://h1:p1,h2:p2.
	// May carry a password, so it is a Secret ("${REDIS_URL}" reads the environment).
	// Default DefaultRedisURL.
	URL Secret `yaml:"url"`
	// KeyPrefix starts every key this project writes. No braces or spaces. Default "prm".
	KeyPrefix string `yaml:"key_prefix"`
	// PoolSize is the number of connections per node. 0 keeps go-redis' default (10 per CPU).
	PoolSize int `yaml:"pool_size"`
	// MinIdleConns keeps this many connections open. Default 0.
	MinIdleConns int `yaml:"min_idle_conns"`
	// DialTimeout bounds connecting. Default 5s.
	DialTimeout time.Duration `yaml:"dial_timeout"`
	// ReadTimeout bounds one reply. Blocking stream reads add their own block time. Default 3s.
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// WriteTimeout bounds one write. Default 3s.
	WriteTimeout time.Duration `yaml:"write_timeout"`
}

// PocketNode is the Pocket full node: CometBFT RPC for blocks and txs, gRPC for queries.
type PocketNode struct {
	// RPCURL is the CometBFT RPC endpoint (http or https; the websocket is derived from it).
	// Default DefaultNodeRPCURL.
	RPCURL string `yaml:"rpc_url"`
	// GRPCAddr is host:port of the Cosmos gRPC server. Default DefaultNodeGRPCAddr.
	GRPCAddr string `yaml:"grpc_addr"`
	// GRPCInsecure disables TLS for gRPC (plaintext). Default false: TLS with system roots.
	GRPCInsecure bool `yaml:"grpc_insecure"`
	// QueryTimeout bounds one chain query attempt. Default 5s.
	QueryTimeout time.Duration `yaml:"query_timeout"`
	// QueryRetries is how many times a transient query error is retried. Default 3.
	QueryRetries int `yaml:"query_retries"`
	// BlockTime is the chain's expected time between blocks. It paces the block feed's
	// fallbacks (polling, and a relayer following the node itself, after 3 × block_time of
	// silence) and turns block counts into TTLs (the miner's session state, the relayer's meter
	// budgets). Positive, at most MaxNodeBlockTime (10m). Default DefaultNodeBlockTime (30s);
	// 1s on a localnet. The --block-time flag of `relayer`/`miner` overrides it when given.
	BlockTime time.Duration `yaml:"block_time"`
}

// Keys names where supplier operator keys come from. Any combination; all are merged.
type Keys struct {
	// KeysFile is a YAML file with a `keys:` list of hex secp256k1 private keys.
	KeysFile string `yaml:"keys_file"`
	// KeysDir is a directory whose regular files each hold one hex private key.
	KeysDir string `yaml:"keys_dir"`
	// Keyring reads named keys from a cosmos keyring.
	Keyring *Keyring `yaml:"keyring"`
}

// Keyring is a cosmos-sdk keyring source.
type Keyring struct {
	// Backend is test, file or os. Default "test".
	Backend string `yaml:"backend"`
	// Dir is the keyring's home directory (the folder that holds keyring-<backend>/).
	Dir string `yaml:"dir"`
	// AppName is the keyring service name. Default "pocket".
	AppName string `yaml:"app_name"`
	// Passphrase unlocks the file backend. Use "${VAR}".
	Passphrase Secret `yaml:"passphrase"`
	// KeyNames are the keys to load. Required, at least one.
	KeyNames []string `yaml:"key_names"`
}

// Metrics is the Prometheus endpoint.
type Metrics struct {
	// Enabled serves /metrics. Default true.
	Enabled bool `yaml:"enabled"`
	// Addr is the listen address. Default DefaultMetricsAddr; it may equal health.addr, in which
	// case one server serves both.
	Addr string `yaml:"addr"`
}

// Health is the liveness and readiness endpoint.
type Health struct {
	// Addr is the listen address of /health and /ready. Default DefaultHealthAddr.
	Addr string `yaml:"addr"`
}

// Pprof is the profiling endpoint.
type Pprof struct {
	// Enabled serves /debug/pprof/. Default false.
	Enabled bool `yaml:"enabled"`
	// Addr must be a loopback address. Default DefaultPprofAddr.
	Addr string `yaml:"addr"`
}

// Logging sets zerolog's output.
type Logging struct {
	// Level is trace, debug, info, warn or error. Default "info".
	Level string `yaml:"level"`
	// Format is json or console. Default "json".
	Format string `yaml:"format"`
}
