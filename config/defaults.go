package config

import "time"

// Defaults shared by the relayer and the miner. Every default of this package is declared in
// this file and applied by DefaultRelayer, DefaultMiner or the per-entry defaulting functions
// below; the README's config reference is written from this list.
const (
	DefaultRedisURL          = "redis://127.0.0.1:6379"
	DefaultRedisKeyPrefix    = "prm"
	DefaultRedisDialTimeout  = 5 * time.Second
	DefaultRedisReadTimeout  = 3 * time.Second
	DefaultRedisWriteTimeout = 3 * time.Second

	DefaultNodeRPCURL       = "http://127.0.0.1:26657"
	DefaultNodeGRPCAddr     = "127.0.0.1:9090"
	DefaultNodeQueryTimeout = 5 * time.Second
	DefaultNodeQueryRetries = 3
	DefaultNodeBlockTime    = 30 * time.Second
	MaxNodeBlockTime        = 10 * time.Minute // a bound, not a default: longer is a typo (30m for 30s)

	DefaultKeyringAppName = "pocket"
	DefaultKeyringBackend = "test"

	DefaultMetricsAddr = "127.0.0.1:9464"
	DefaultHealthAddr  = "127.0.0.1:9464"
	DefaultPprofAddr   = "127.0.0.1:6060"

	DefaultLogLevel  = "info"
	DefaultLogFormat = "json"
)

// Relayer defaults.
const (
	DefaultRelayerListenAddr = "0.0.0.0:8545"
	DefaultValidationMode    = ValidationEager
	DefaultMaxBodyBytes      = ByteSize(10 << 20)
	DefaultBackendTimeout    = 30 * time.Second
	DefaultBackendSelection  = SelectRoundRobin
	DefaultBackendMaxConns   = 256
	DefaultMaxResponseBytes  = ByteSize(64 << 20)
	MaxBackendEndpoints      = 64
	DefaultHealthCheckPath   = ""
	DefaultHealthInterval    = 10 * time.Second
	DefaultHealthTimeout     = 2 * time.Second
	DefaultPublishBacklog    = 100_000
	DefaultPublishWorkers    = 4
	DefaultOverflowPolicy    = OverflowDropNewest
	DefaultOverflowWait      = 100 * time.Millisecond
	DefaultMeterFailMode     = FailOpen
	DefaultRingRecheckRate   = 0.001
	DefaultShutdownTimeout   = 30 * time.Second

	DefaultWSPingInterval      = 30 * time.Second
	DefaultWSPongWait          = 75 * time.Second
	DefaultWSWriteTimeout      = 10 * time.Second
	DefaultWSSendQueue         = 64
	DefaultStreamBatchInterval = 100 * time.Millisecond
	DefaultStreamBatchBytes    = ByteSize(64 << 10)
	DefaultStreamBatchEvents   = 32
	DefaultStreamMaxBytes      = ByteSize(16 << 20)
	DefaultGRPCTimeout         = 60 * time.Second
)

// Miner defaults.
const (
	DefaultLeaseTTL            = 15 * time.Second
	DefaultLeaseRenewInterval  = 5 * time.Second
	DefaultReplicaHeartbeat    = 5 * time.Second
	DefaultConsumeBatchSize    = 1000
	DefaultConsumeBlock        = 2 * time.Second
	DefaultConsumeLinger       = 100 * time.Millisecond
	MaxConsumeLinger           = time.Second
	DefaultReclaimIdle         = 30 * time.Second
	DefaultReclaimInterval     = 10 * time.Second
	DefaultSupplierRecheck     = time.Minute
	DefaultChainID             = "pocket"
	DefaultGasLimit            = 0 // 0 = simulate
	DefaultGasAdjustment       = 1.5
	DefaultGasPrices           = "0upokt"
	DefaultTxConfirmTimeout    = 0 // 0 = derived per tx from pocket_node.block_time and its timeout height
	DefaultClaimDelayBlocks    = 0
	DefaultProofDelayBlocks    = 0
	DefaultSessionStateTTLMult = 4 // session keys live this many session lengths past settlement
)

// DefaultRelayer returns a relayer config with every default applied and no services.
func DefaultRelayer() Relayer {
	return Relayer{
		ListenAddr:            DefaultRelayerListenAddr,
		Common:                defaultCommon(),
		DefaultValidationMode: DefaultValidationMode,
		DefaultMaxBodyBytes:   DefaultMaxBodyBytes,
		Publish: Publish{
			Backlog:        DefaultPublishBacklog,
			Workers:        DefaultPublishWorkers,
			OverflowPolicy: DefaultOverflowPolicy,
			OverflowWait:   DefaultOverflowWait,
		},
		Meter:           Meter{Enabled: true, FailMode: DefaultMeterFailMode},
		RingRecheck:     RingRecheck{SampleRate: DefaultRingRecheckRate},
		Transports:      DefaultTransports(),
		ShutdownTimeout: DefaultShutdownTimeout,
	}
}

// DefaultTransports returns the default transport limits of the relayer.
func DefaultTransports() Transports {
	return Transports{
		WebSocket: WebSocketLimits{
			PingInterval: DefaultWSPingInterval,
			PongWait:     DefaultWSPongWait,
			WriteTimeout: DefaultWSWriteTimeout,
			SendQueue:    DefaultWSSendQueue,
		},
		Streaming: StreamingLimits{
			BatchInterval: DefaultStreamBatchInterval,
			BatchBytes:    DefaultStreamBatchBytes,
			BatchEvents:   DefaultStreamBatchEvents,
			MaxBytes:      DefaultStreamMaxBytes,
		},
		GRPC: GRPCLimits{Timeout: DefaultGRPCTimeout},
	}
}

// DefaultMiner returns a miner config with every default applied.
func DefaultMiner() Miner {
	return Miner{
		Common: defaultCommon(),
		Leader: Leader{
			LeaseTTL:          DefaultLeaseTTL,
			RenewInterval:     DefaultLeaseRenewInterval,
			HeartbeatInterval: DefaultReplicaHeartbeat,
		},
		Consumer: Consumer{
			BatchSize:       DefaultConsumeBatchSize,
			BlockTimeout:    DefaultConsumeBlock,
			Linger:          DefaultConsumeLinger,
			ReclaimIdle:     DefaultReclaimIdle,
			ReclaimInterval: DefaultReclaimInterval,
		},
		Tx: Tx{
			ChainID:        DefaultChainID,
			GasLimit:       DefaultGasLimit,
			GasAdjustment:  DefaultGasAdjustment,
			GasPrices:      DefaultGasPrices,
			ConfirmTimeout: DefaultTxConfirmTimeout,
		},
		Sessions: Sessions{
			ClaimDelayBlocks: DefaultClaimDelayBlocks,
			ProofDelayBlocks: DefaultProofDelayBlocks,
			SupplierRecheck:  DefaultSupplierRecheck,
			StateTTLSessions: DefaultSessionStateTTLMult,
		},
		ShutdownTimeout: DefaultShutdownTimeout,
	}
}

func defaultCommon() Common {
	return Common{
		Redis: Redis{
			URL:          DefaultRedisURL,
			KeyPrefix:    DefaultRedisKeyPrefix,
			DialTimeout:  DefaultRedisDialTimeout,
			ReadTimeout:  DefaultRedisReadTimeout,
			WriteTimeout: DefaultRedisWriteTimeout,
		},
		PocketNode: PocketNode{
			RPCURL:       DefaultNodeRPCURL,
			GRPCAddr:     DefaultNodeGRPCAddr,
			QueryTimeout: DefaultNodeQueryTimeout,
			QueryRetries: DefaultNodeQueryRetries,
			BlockTime:    DefaultNodeBlockTime,
		},
		Metrics: Metrics{Enabled: true, Addr: DefaultMetricsAddr},
		Health:  Health{Addr: DefaultHealthAddr},
		Pprof:   Pprof{Enabled: false, Addr: DefaultPprofAddr},
		Logging: Logging{Level: DefaultLogLevel, Format: DefaultLogFormat},
	}
}

// defaultService fills the zero fields of a service entry from the relayer's defaults.
func defaultService(s *Service, r *Relayer) {
	if s.ValidationMode == "" {
		s.ValidationMode = r.DefaultValidationMode
	}
	if s.MaxBodyBytes == 0 {
		s.MaxBodyBytes = r.DefaultMaxBodyBytes
	}
	for _, b := range s.Backends {
		defaultBackend(b)
	}
}

// defaultBackend fills the zero fields of one backend.
func defaultBackend(b *Backend) {
	if b.Selection == "" {
		b.Selection = DefaultBackendSelection
	}
	if b.Timeout == 0 {
		b.Timeout = DefaultBackendTimeout
	}
	if b.MaxConns == 0 {
		b.MaxConns = DefaultBackendMaxConns
	}
	if b.MaxResponseBytes == 0 {
		b.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if b.HealthCheck != nil {
		if b.HealthCheck.Interval == 0 {
			b.HealthCheck.Interval = DefaultHealthInterval
		}
		if b.HealthCheck.Timeout == 0 {
			b.HealthCheck.Timeout = DefaultHealthTimeout
		}
	}
}

// defaultKeys fills the zero fields of the keyring source.
func defaultKeys(k *Keys) {
	if k.Keyring != nil {
		if k.Keyring.AppName == "" {
			k.Keyring.AppName = DefaultKeyringAppName
		}
		if k.Keyring.Backend == "" {
			k.Keyring.Backend = DefaultKeyringBackend
		}
	}
}
