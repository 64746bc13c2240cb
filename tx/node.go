package tx

import (
	"context"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/shannon-ops/pocket-relay-miner/query"
)

// Node is what the Client needs of a full node. GRPCNode implements it over the Cosmos gRPC
// services; tests hand in fakes.
//
// Transport failures (the node did not answer) must wrap ErrUnavailable so they are retried;
// any other error is final.
type Node interface {
	// Simulate runs the (unsigned) tx and returns the gas it used. A tx the chain refuses is a
	// *ChainError with Stage simulate.
	Simulate(ctx context.Context, txBytes []byte) (gasUsed uint64, err error)
	// BroadcastSync submits the signed tx and returns its CheckTx outcome. A refusal is a
	// non-zero Code in the answer, not an error.
	BroadcastSync(ctx context.Context, txBytes []byte) (CheckTx, error)
	// GetTx returns the included tx with hash (upper-case hex); found is false while the node
	// does not know it.
	GetTx(ctx context.Context, hash string) (res Result, found bool, err error)
	// LatestHeight is the height of the last committed block.
	LatestHeight(ctx context.Context) (int64, error)
}

// AccountQuerier reads an account's number and sequence. *query.Client implements it.
type AccountQuerier interface {
	Account(ctx context.Context, address string) (query.Account, error)
}

// CheckTx is the answer to a sync broadcast.
type CheckTx struct {
	Hash      string
	Code      uint32
	Codespace string
	Log       string
}

// Result is an included tx: its block height and delivery outcome. Code 0 means every
// message succeeded; a Result with a non-zero Code comes with a *ChainError.
type Result struct {
	Hash      string       `json:"hash"`
	Height    int64        `json:"height"`
	Code      uint32       `json:"code"`
	Codespace string       `json:"codespace,omitempty"`
	Log       string       `json:"log,omitempty"`
	GasWanted int64        `json:"gas_wanted"`
	GasUsed   int64        `json:"gas_used"`
	Events    []abci.Event `json:"-"` // the tx's events, each message's tagged with msg_index
}
