package tx

import (
	"context"
	"fmt"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

// Defaults for zero-valued settings.
const (
	DefaultChainID       = "pocket"
	DefaultGasAdjustment = 1.5
	// DefaultConfirmTimeout bounds the wait for a tx without a timeout height when
	// Config.ConfirmTimeout is 0.
	DefaultConfirmTimeout = 30 * time.Second
	// DefaultBlockTime is the expected time between blocks, from which the wait for a tx with
	// a timeout height is derived (WithBlockTime).
	DefaultBlockTime    = 30 * time.Second
	DefaultPollInterval = 500 * time.Millisecond
	DefaultMinBackoff   = 250 * time.Millisecond
	DefaultMaxBackoff   = 5 * time.Second
	// DefaultMaxAttempts bounds the attempts to get one tx into the mempool.
	DefaultMaxAttempts = 10
)

// Options of one submission.
type Options struct {
	// Kind labels the metrics: claim, proof or other.
	Kind Kind
	// TimeoutHeight is the last height at which the tx may be included (the claim or proof
	// window close). 0: none; only Config.ConfirmTimeout and the context bound the wait.
	TimeoutHeight int64
	// Memo is written into the tx. Optional.
	Memo string
	// OnBroadcast, when set, is called by SubmitBatch, on its goroutine, each time a tx reached
	// the node (accepted into the mempool, or a broadcast whose answer was lost) and before it
	// is confirmed: hash names the tx, msgs the indexes of the batch's messages it carries. It
	// lets the caller persist the hash early, so whoever resumes after a crash can look the tx
	// up instead of sending its messages again. It must not block.
	OnBroadcast func(hash string, msgs []int)
}

// Client builds, signs, broadcasts and confirms txs. It is safe for concurrent use; txs of one
// signer are sequenced locally (see the package doc).
type Client struct {
	chainID        string
	gasLimit       uint64
	gasAdjustment  float64
	fees           feePolicy
	confirmTimeout time.Duration // 0: derived per tx (confirmWait)
	blockTime      time.Duration
	pollInterval   time.Duration
	minBackoff     time.Duration
	maxBackoff     time.Duration
	maxAttempts    int

	node     Node
	accounts *accounts
	m        *metrics
	log      zerolog.Logger
	now      func() time.Time
}

// Option tunes a Client beyond config.Tx.
type Option func(*Client)

// WithPollInterval sets how often confirmation asks the node for the tx. Default
// DefaultPollInterval.
func WithPollInterval(d time.Duration) Option { return func(c *Client) { c.pollInterval = d } }

// WithBlockTime sets the chain's expected time between blocks (config pocket_node.block_time),
// from which the wait for a tx's inclusion is derived when Config.ConfirmTimeout is 0. Default
// DefaultBlockTime.
func WithBlockTime(d time.Duration) Option { return func(c *Client) { c.blockTime = d } }

// WithBackoff sets the bounds of the exponential, jittered wait between attempts. Defaults
// DefaultMinBackoff and DefaultMaxBackoff.
func WithBackoff(lo, hi time.Duration) Option {
	return func(c *Client) { c.minBackoff, c.maxBackoff = lo, hi }
}

// WithMaxAttempts bounds the attempts to get one tx accepted by CheckTx. Default
// DefaultMaxAttempts.
func WithMaxAttempts(n int) Option { return func(c *Client) { c.maxAttempts = n } }

// WithLogger sets the logger. Default: none.
func WithLogger(l zerolog.Logger) Option { return func(c *Client) { c.log = l } }

// New validates cfg and builds a Client. It does no I/O. reg receives the package's metrics
// (nil registers nothing).
func New(cfg config.Tx, node Node, accts AccountQuerier, reg prometheus.Registerer, opts ...Option) (*Client, error) {
	if node == nil || accts == nil {
		return nil, fmt.Errorf("tx: node and account querier are required")
	}
	fees, err := parseFeePolicy(cfg.GasPrices, cfg.Fees)
	if err != nil {
		return nil, err
	}
	if cfg.GasAdjustment < 0 {
		return nil, fmt.Errorf("tx.gas_adjustment: must not be negative, got %v", cfg.GasAdjustment)
	}
	if cfg.ConfirmTimeout < 0 {
		return nil, fmt.Errorf("tx.confirm_timeout: must not be negative, got %v", cfg.ConfirmTimeout)
	}
	c := &Client{
		chainID: cfg.ChainID, gasLimit: cfg.GasLimit, gasAdjustment: cfg.GasAdjustment, fees: fees,
		confirmTimeout: cfg.ConfirmTimeout, blockTime: DefaultBlockTime,
		pollInterval: DefaultPollInterval, minBackoff: DefaultMinBackoff, maxBackoff: DefaultMaxBackoff,
		maxAttempts: DefaultMaxAttempts,
		node:        node, accounts: newAccounts(accts), log: zerolog.Nop(), now: time.Now,
	}
	if c.chainID == "" {
		c.chainID = DefaultChainID
	}
	if c.gasAdjustment == 0 {
		c.gasAdjustment = DefaultGasAdjustment
	}
	for _, o := range opts {
		o(c)
	}
	if c.pollInterval <= 0 || c.minBackoff <= 0 || c.maxBackoff < c.minBackoff || c.maxAttempts < 1 || c.blockTime <= 0 {
		return nil, fmt.Errorf("tx: poll interval, backoff and block time must be positive, max attempts at least 1")
	}
	if c.m, err = newMetrics(reg); err != nil {
		return nil, fmt.Errorf("tx: register metrics: %w", err)
	}
	return c, nil
}

// Submit sends one tx carrying msgs, signed by signer, and waits until it is included. It
// returns the included result when every message succeeded. Otherwise the error says why:
// a *ChainError (refused by Simulate or CheckTx, or delivered with a non-zero code — then the
// Result is filled too), ErrTimeout (the chain passed its timeout height without it),
// ErrUnconfirmed (not found yet; it may still land) or the context's error.
// All-or-nothing: use SubmitBatch to have failing messages dropped and the rest re-sent.
func (c *Client) Submit(ctx context.Context, signer Signer, msgs []sdk.Msg, opts Options) (Result, error) {
	p, err := c.Broadcast(ctx, signer, msgs, opts)
	if err != nil {
		return Result{}, err
	}
	return c.Confirm(ctx, p)
}
