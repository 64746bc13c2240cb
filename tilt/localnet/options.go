package localnet

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
)

// DefaultServiceID is the service staked by default.
const DefaultServiceID = "develop-http"

// RPC types a supplier endpoint may be staked with (poktroll's shared.RPCType names).
const (
	RPCTypeJSONRPC   = "JSON_RPC"
	RPCTypeREST      = "REST"
	RPCTypeWebSocket = "WEBSOCKET"
	RPCTypeGRPC      = "GRPC"
	RPCTypeCometBFT  = "COMET_BFT"
)

// Options configure Up. The zero value plus Dir is a working stack.
type Options struct {
	// Dir holds the chain home, logs, PID files and the state file. Required. Up wipes the
	// previous chain in it; it refuses to start over processes that still run.
	Dir string
	// RepoRoot is the module root (where go.mod and the Makefile live). Default: found with
	// `go env GOMOD` from the working directory.
	RepoRoot string
	// Pocketd is the pocketd binary. Default: RepoRoot/bin/pocketd, built by `make pocketd`.
	Pocketd string
	// ChainID of the chain. Default "pocket".
	ChainID string
	// Ports of every listener; 0 picks a free loopback port.
	Ports Ports
	// Session sets the shared params. Default DefaultSession().
	Session Session
	// ServiceID is the service created and staked. Default DefaultServiceID.
	ServiceID string
	// ComputeUnitsPerRelay of the service. Default 1.
	ComputeUnitsPerRelay uint64
	// Endpoints are supplier1's staked endpoints. Default: one JSON_RPC endpoint for ServiceID
	// at the reference relay miner's URL (http://127.0.0.1:<Ports.RelayMiner>).
	Endpoints []Endpoint
	// Chain holds the mainnet-like knobs (block time, fees, difficulty, a poor operator). The
	// zero value is the fast, free chain every e2e package used so far.
	Chain Chain
	// Redis starts a redis-server on Ports.Redis.
	Redis bool
	// Backend starts tilt/backend-server on Ports.Backend.
	Backend bool
	// RelayMiner starts poktroll's reference relay miner for supplier1 on Ports.RelayMiner,
	// forwarding ServiceID to the backend. It implies Backend.
	RelayMiner bool
	// Detach lets the processes outlive the caller (for a CLI that exits after Up).
	Detach bool
	// Log receives progress lines. Default os.Stderr; io.Discard silences them.
	Log io.Writer
}

// Ports are the loopback TCP ports of the stack. 0 means "pick a free one".
type Ports struct {
	RPC        int `json:"rpc"`         // CometBFT RPC (and its /websocket)
	P2P        int `json:"p2p"`         // CometBFT p2p
	ABCI       int `json:"abci"`        // proxy_app address (unused in-process, kept off 26658)
	GRPC       int `json:"grpc"`        // Cosmos gRPC
	API        int `json:"api"`         // Cosmos REST API
	Redis      int `json:"redis"`       // redis-server, when Options.Redis
	Backend    int `json:"backend"`     // backend-server, when Options.Backend
	RelayMiner int `json:"relay_miner"` // reference relay miner, when Options.RelayMiner
}

// Session holds the shared params that shape session timing (block counts).
type Session struct {
	NumBlocksPerSession    uint64 `json:"num_blocks_per_session"`
	GracePeriodEndOffset   uint64 `json:"grace_period_end_offset_blocks"`
	ClaimWindowOpenOffset  uint64 `json:"claim_window_open_offset_blocks"`
	ClaimWindowCloseOffset uint64 `json:"claim_window_close_offset_blocks"`
	ProofWindowOpenOffset  uint64 `json:"proof_window_open_offset_blocks"`
	ProofWindowCloseOffset uint64 `json:"proof_window_close_offset_blocks"`
	UnbondingSessions      uint64 `json:"unbonding_period_sessions"`
}

// DefaultSession is LOCALNET.md's profile with one block of slack for each claim and proof.
func DefaultSession() Session {
	return Session{
		NumBlocksPerSession:    4,
		GracePeriodEndOffset:   1,
		ClaimWindowOpenOffset:  1,
		ClaimWindowCloseOffset: 2,
		ProofWindowOpenOffset:  0,
		ProofWindowCloseOffset: 2,
		UnbondingSessions:      2,
	}
}

// sumOffsets is the number of blocks from a session's end to its proof window close.
func (s Session) sumOffsets() uint64 {
	return s.ClaimWindowOpenOffset + s.ClaimWindowCloseOffset + s.ProofWindowOpenOffset + s.ProofWindowCloseOffset
}

// Validate checks the constraints the chain enforces on shared params.
func (s Session) Validate() error {
	var errs []error
	if s.NumBlocksPerSession < 1 {
		errs = append(errs, errors.New("num_blocks_per_session: must be at least 1"))
	}
	if s.GracePeriodEndOffset >= s.NumBlocksPerSession {
		errs = append(errs, errors.New("grace_period_end_offset_blocks: must be less than num_blocks_per_session"))
	}
	if s.ClaimWindowOpenOffset < s.GracePeriodEndOffset {
		errs = append(errs, errors.New("claim_window_open_offset_blocks: must be at least the grace period"))
	}
	if s.ClaimWindowCloseOffset < 1 || s.ProofWindowCloseOffset < 1 {
		errs = append(errs, errors.New("claim/proof window close offsets: must be at least 1 block"))
	}
	if s.UnbondingSessions < 1 || s.UnbondingSessions*s.NumBlocksPerSession < s.sumOffsets() {
		errs = append(errs, fmt.Errorf("unbonding_period_sessions: %d sessions of %d blocks must cover the %d offset blocks",
			s.UnbondingSessions, s.NumBlocksPerSession, s.sumOffsets()))
	}
	return errors.Join(errs...)
}

// ClaimWindowOpen is the first block a claim for the session ending at end may land in.
func (s Session) ClaimWindowOpen(end int64) int64 { return end + int64(s.ClaimWindowOpenOffset) + 1 }

// ClaimWindowClose is the last block a claim for the session ending at end may land in.
func (s Session) ClaimWindowClose(end int64) int64 {
	return s.ClaimWindowOpen(end) + int64(s.ClaimWindowCloseOffset)
}

// ProofWindowOpen is the first block a proof for the session ending at end may land in.
func (s Session) ProofWindowOpen(end int64) int64 {
	return s.ClaimWindowClose(end) + int64(s.ProofWindowOpenOffset)
}

// ProofWindowClose is the last block a proof may land in.
func (s Session) ProofWindowClose(end int64) int64 {
	return s.ClaimWindowClose(end) + int64(s.ProofWindowOpenOffset) + int64(s.ProofWindowCloseOffset)
}

// SettlementHeight is the block whose EndBlock settles claims of the session ending at end.
func (s Session) SettlementHeight(end int64) int64 { return end + int64(s.sumOffsets()) + 1 }

// Endpoint is one supplier endpoint to stake.
type Endpoint struct {
	ServiceID string `json:"service_id"`
	// RPCType is one of the RPCType* names.
	RPCType string `json:"rpc_type"`
	// URL is the publicly exposed URL (http, https, ws or wss).
	URL string `json:"url"`
}

func (e Endpoint) validate() error {
	switch e.RPCType {
	case RPCTypeJSONRPC, RPCTypeREST, RPCTypeWebSocket, RPCTypeGRPC, RPCTypeCometBFT:
	default:
		return fmt.Errorf("endpoint %s: unknown rpc type %q", e.URL, e.RPCType)
	}
	u, err := url.Parse(e.URL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("endpoint %q: want an absolute URL", e.URL)
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss":
	default:
		return fmt.Errorf("endpoint %q: scheme must be http, https, ws or wss", e.URL)
	}
	if e.ServiceID == "" {
		return fmt.Errorf("endpoint %q: service id is required", e.URL)
	}
	return nil
}

// withDefaults fills zero values; ports are picked later.
func (o Options) withDefaults() (Options, error) {
	if o.Dir == "" {
		return o, errors.New("localnet: Options.Dir is required")
	}
	if o.ChainID == "" {
		o.ChainID = "pocket"
	}
	if o.Session == (Session{}) {
		o.Session = DefaultSession()
	}
	if err := o.Session.Validate(); err != nil {
		return o, fmt.Errorf("localnet: session: %w", err)
	}
	if o.ServiceID == "" {
		o.ServiceID = DefaultServiceID
	}
	if o.ComputeUnitsPerRelay == 0 {
		o.ComputeUnitsPerRelay = 1
	}
	o.Chain = o.Chain.withDefaults()
	if err := o.Chain.Validate(); err != nil {
		return o, fmt.Errorf("localnet: chain: %w", err)
	}
	if o.RelayMiner {
		o.Backend = true
	}
	if o.Log == nil {
		o.Log = os.Stderr
	}
	return o, nil
}
