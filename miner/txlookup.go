package miner

import (
	"context"
	"fmt"
)

// txFate is what the chain says about the tx of a send whose outcome was unknown.
type txFate int

const (
	txNotFound      txFate = iota // not known to the node (or no hash to ask for)
	txLanded                      // included with code 0: every message of it is on chain
	txFailedInBlock               // included with a non-zero code: none of its messages is on chain
)

// lookupTx asks the node for the tx with hash. An empty hash is not found.
func (r *Runner) lookupTx(ctx context.Context, hash string) (txFate, error) {
	if hash == "" {
		return txNotFound, nil
	}
	res, found, err := r.txs.Lookup(ctx, hash)
	switch {
	case err != nil:
		return txNotFound, fmt.Errorf("look up tx %s: %w", hash, err)
	case !found:
		return txNotFound, nil
	case res.Code != 0:
		return txFailedInBlock, nil
	}
	return txLanded, nil
}
