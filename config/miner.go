package config

import "time"

// Miner is the configuration of `pocket-relay-miner miner`.
type Miner struct {
	Common `yaml:",inline"`

	// ReplicaID names this replica in leases and consumer groups. Default: hostname-pid.
	ReplicaID string `yaml:"replica_id"`
	// Leader sets the lease timings of the global leader and of supplier ownership.
	Leader Leader `yaml:"leader"`
	// Consumer sets how relay streams are read.
	Consumer Consumer `yaml:"consumer"`
	// Tx sets how claims and proofs are submitted.
	Tx Tx `yaml:"tx"`
	// Sessions sets session timing knobs.
	Sessions Sessions `yaml:"sessions"`
	// ShutdownTimeout bounds the graceful stop. Default 30s.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
}

// Leader sets lease timings. A lost replica's work moves within LeaseTTL + RenewInterval.
type Leader struct {
	// LeaseTTL is how long a lease lives without renewal. Default 15s.
	LeaseTTL time.Duration `yaml:"lease_ttl"`
	// RenewInterval is how often held leases are renewed; less than a third of lease_ttl.
	// Default 5s.
	RenewInterval time.Duration `yaml:"renew_interval"`
	// HeartbeatInterval is how often a replica announces itself as live. Default 5s.
	HeartbeatInterval time.Duration `yaml:"heartbeat_interval"`
}

// Consumer sets how a miner reads a supplier's relay stream.
type Consumer struct {
	// BatchSize is the most entries applied in one transaction. Default 1000.
	BatchSize int `yaml:"batch_size"`
	// BlockTimeout is how long one XREADGROUP waits for entries. Default 2s.
	BlockTimeout time.Duration `yaml:"block_timeout"`
	// Linger is how long the consumer waits after a read that returned a partial batch before it
	// reads again, so a steady trickle of relays is applied in batches instead of one
	// transaction per relay (a batch's Redis round trips and commands cost the same for 1 entry
	// or 1000). A full batch is followed by the next read at once; an idle stream is still
	// waited on with a blocking read. 0 disables it; at most 1s. Default 100ms.
	Linger time.Duration `yaml:"linger"`
	// ReclaimIdle is how long a pending entry must be idle before another consumer claims it.
	// Default 30s.
	ReclaimIdle time.Duration `yaml:"reclaim_idle"`
	// ReclaimInterval is how often pending entries are reclaimed. Default 10s.
	ReclaimInterval time.Duration `yaml:"reclaim_interval"`
}

// Tx sets claim and proof transaction parameters.
type Tx struct {
	// ChainID of the network. Default "pocket".
	ChainID string `yaml:"chain_id"`
	// GasLimit per tx; 0 simulates and multiplies by gas_adjustment. Default 0.
	GasLimit uint64 `yaml:"gas_limit"`
	// GasAdjustment multiplies simulated gas. Default 1.5.
	GasAdjustment float64 `yaml:"gas_adjustment"`
	// GasPrices such as "0.001upokt"; fee = gas × price, rounded up. Default "0upokt".
	GasPrices string `yaml:"gas_prices"`
	// Fees is a fixed fee such as "1000upokt"; overrides gas_prices when set.
	Fees string `yaml:"fees"`
	// ConfirmTimeout bounds waiting for a broadcast tx to be found in a block. Default 0:
	// derived per tx from pocket_node.block_time and the tx's timeout height (the claim or
	// proof window close), long enough for the chain to pass it. A tx not found when the wait
	// ends is not failed: the miner looks it up (by hash, then the claim) at each block and
	// never re-sends it while it can still land. Not negative.
	ConfirmTimeout time.Duration `yaml:"confirm_timeout"`
}

// Sessions sets session timing knobs.
type Sessions struct {
	// ClaimDelayBlocks waits this many blocks after the claim window opens before claiming.
	// Must leave the window reachable. Default 0.
	ClaimDelayBlocks int64 `yaml:"claim_delay_blocks"`
	// ProofDelayBlocks waits this many blocks after the proof window opens. Default 0.
	ProofDelayBlocks int64 `yaml:"proof_delay_blocks"`
	// SupplierRecheck is how often staked suppliers are re-discovered. Default 1m.
	SupplierRecheck time.Duration `yaml:"supplier_recheck"`
	// StateTTLSessions keeps session state for this many session lengths after settlement.
	// Default 4.
	StateTTLSessions int `yaml:"state_ttl_sessions"`
}
