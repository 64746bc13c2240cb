package tx

import (
	"context"
	"errors"
	"fmt"
)

// Confirm waits until the pending tx is found in a block and returns its result. A tx that
// does not land is never a success: once the chain has passed the tx's timeout height (and one
// more poll found nothing, so a slow tx indexer cannot cause a false timeout), or
// Config.ConfirmTimeout after SentAt, the error is ErrTimeout and the signer's sequence is
// fetched again before its next tx. A tx included with a non-zero code returns its Result and
// a *ChainError with Stage deliver naming the failing message when the log does.
func (c *Client) Confirm(ctx context.Context, p Pending) (Result, error) {
	res, err := c.confirm(ctx, p)
	switch {
	case err == nil:
		c.m.included(p.Kind, res.GasUsed, c.now().Sub(p.SentAt).Seconds())
	case ctx.Err() != nil:
		// The caller gave up; the tx's fate is unknown, so count nothing.
	default:
		c.m.outcome(p.Kind, outcomeOf(err))
	}
	if errors.Is(err, ErrTimeout) && p.acc != nil {
		p.acc.forget()
	}
	return res, err
}

func (c *Client) confirm(ctx context.Context, p Pending) (Result, error) {
	wctx, cancel := context.WithDeadline(ctx, p.SentAt.Add(c.confirmTimeout))
	defer cancel()
	var (
		passed  bool  // the chain was seen above the timeout height before the last GetTx
		lastErr error // the last failure to ask, reported with a timeout
		chainAt int64
	)
	for {
		// Read the height first: a tx not found after the chain passed its timeout height
		// cannot be included any more.
		var wasPassed bool
		if p.TimeoutHeight > 0 {
			wasPassed = passed
			if h, err := c.node.LatestHeight(wctx); err == nil {
				chainAt = h
				passed = h > p.TimeoutHeight
			} else if !errors.Is(err, ErrUnavailable) && wctx.Err() == nil {
				lastErr = err
			}
		}
		res, found, err := c.node.GetTx(wctx, p.Hash)
		switch {
		case err == nil && found:
			if res.Code != 0 {
				return res, newChainError(StageDeliver, res.Code, res.Codespace, res.Log, res.Hash, res.Height)
			}
			return res, nil
		case err != nil && wctx.Err() == nil:
			lastErr = err
		case err == nil && wasPassed && passed:
			return Result{Hash: p.Hash}, fmt.Errorf("tx %s not included by its timeout height %d (chain at %d): %w",
				p.Hash, p.TimeoutHeight, chainAt, ErrTimeout)
		}
		if err := sleepCtx(wctx, c.pollInterval); err != nil {
			if ctx.Err() != nil {
				return Result{Hash: p.Hash}, fmt.Errorf("confirm tx %s: %w", p.Hash, ctx.Err())
			}
			if lastErr != nil {
				return Result{Hash: p.Hash}, fmt.Errorf("tx %s not found within %v (last error: %w): %w",
					p.Hash, c.confirmTimeout, lastErr, ErrTimeout)
			}
			return Result{Hash: p.Hash}, fmt.Errorf("tx %s not found within %v: %w", p.Hash, c.confirmTimeout, ErrTimeout)
		}
	}
}
