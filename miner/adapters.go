package miner

import (
	"context"
	"errors"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"
	prooftypes "github.com/pokt-network/poktroll/x/proof/types"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	"github.com/pokt-network/smt"
	"github.com/redis/go-redis/v9"

	"github.com/shannon-ops/pocket-relay-miner/leader"
	"github.com/shannon-ops/pocket-relay-miner/query"
	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// sealer hands over a session's committed tree once the gate refuses the session (Consumer).
type sealer interface {
	Seal(ctx context.Context, h SessionHeader) (*Tree, error)
}

// consumerTrees is the lifecycle's view (Trees) of one supplier's session trees: a session's
// tree is taken from the consumer on first use (Consumer.Seal, which waits for a batch in
// progress, so the root read is the final one) and kept until it is deleted or the worker
// stops. Like the Runner it serves, it is used by one goroutine.
type consumerTrees struct {
	supplier string
	src      sealer
	rdb      redis.UniversalClient
	keys     transport.Keys
	fence    leader.Fence
	sealed   map[string]*Tree
}

var _ Trees = (*consumerTrees)(nil)

func newConsumerTrees(supplier string, src sealer, rdb redis.UniversalClient, keys transport.Keys, fence leader.Fence) *consumerTrees {
	return &consumerTrees{supplier: supplier, src: src, rdb: rdb, keys: keys, fence: fence, sealed: map[string]*Tree{}}
}

func (ts *consumerTrees) tree(ctx context.Context, sessionID string) (*Tree, error) {
	if t, ok := ts.sealed[sessionID]; ok {
		return t, nil
	}
	t, err := ts.src.Seal(ctx, SessionHeader{Supplier: ts.supplier, SessionID: sessionID})
	if err != nil {
		return nil, err
	}
	ts.sealed[sessionID] = t
	return t, nil
}

// Root returns the committed root of the session's tree.
func (ts *consumerTrees) Root(ctx context.Context, sessionID string) ([]byte, error) {
	t, err := ts.tree(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	return t.Root(), nil
}

// ProveClosest returns the closest proof for path in the session's tree.
func (ts *consumerTrees) ProveClosest(ctx context.Context, sessionID string, path []byte) (*smt.SparseMerkleClosestProof, error) {
	t, err := ts.tree(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	return t.ProveClosest(path)
}

// Delete removes the session's tree from Redis under the supplier's fence and drops it from
// memory.
func (ts *consumerTrees) Delete(ctx context.Context, sessionID string) error {
	t, err := ts.tree(ctx, sessionID)
	if err != nil {
		return err
	}
	if err := t.Delete(ctx, ts.rdb, ts.fence); err != nil {
		return err
	}
	delete(ts.sealed, sessionID)
	return nil
}

// Close drops the memory of every tree still held; Redis keeps them for the next owner.
func (ts *consumerTrees) Close() {
	for id, t := range ts.sealed {
		t.Close()
		delete(ts.sealed, id)
	}
}

// ChainCache is the cached chain the lifecycle reads parameters from (cache.Chain).
type ChainCache interface {
	SharedParamsAt(ctx context.Context, height int64) (*sharedtypes.Params, error)
	CUPRAt(ctx context.Context, service string, height int64) (uint64, error)
	DifficultyAt(ctx context.Context, service string, height int64) (*servicetypes.RelayMiningDifficulty, error)
}

// ChainQuerier is what the lifecycle reads uncached (query.Client): live proof params, block
// hashes, claims and the operator's balance.
type ChainQuerier interface {
	ProofParams(ctx context.Context) (*prooftypes.Params, error)
	Block(ctx context.Context, height int64) (query.Block, error)
	Claim(ctx context.Context, sessionID, operator string) (*prooftypes.Claim, error)
	BalanceQuerier
}

// chainAdapter is the lifecycle's Chain over the cache and the query client.
type chainAdapter struct {
	ChainCache
	q ChainQuerier
}

var _ Chain = chainAdapter{}

// NewChain returns the lifecycle's Chain: parameters at a height from the cache, the rest
// straight from the node.
func NewChain(c ChainCache, q ChainQuerier) Chain { return chainAdapter{ChainCache: c, q: q} }

func (a chainAdapter) ProofParams(ctx context.Context) (*prooftypes.Params, error) {
	return a.q.ProofParams(ctx)
}

func (a chainAdapter) BlockHash(ctx context.Context, height int64) ([]byte, error) {
	b, err := a.q.Block(ctx, height)
	if err != nil {
		return nil, err
	}
	if len(b.Hash) == 0 {
		return nil, fmt.Errorf("block %d: empty hash", height)
	}
	return b.Hash, nil
}

func (a chainAdapter) Balance(ctx context.Context, address, denom string) (sdk.Coin, error) {
	return a.q.Balance(ctx, address, denom)
}

// Claim returns nil and no error when the chain has no such claim.
func (a chainAdapter) Claim(ctx context.Context, sessionID, operator string) (*prooftypes.Claim, error) {
	c, err := a.q.Claim(ctx, sessionID, operator)
	if errors.Is(err, query.ErrNotFound) {
		return nil, nil
	}
	return c, err
}
