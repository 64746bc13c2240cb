package tx

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// confirmSlack multiplies the derived confirm wait: blocks may come up to this many times
// slower than the expected block time before the wait ends with ErrUnconfirmed.
const confirmSlack = 2

// Confirm waits until the pending tx is found in a block and returns its result. A tx that
// does not land is never a success, and a tx not found yet is never a failure:
//   - ErrTimeout once the chain has passed the tx's timeout height without it (and one more
//     poll found nothing, so a slow tx indexer cannot cause a false timeout): it can no longer
//     land, and the signer's sequence is fetched again before its next tx;
//   - ErrUnconfirmed when the wait ended first (Config.ConfirmTimeout after SentAt, or by
//     default the time the chain needs to pass the timeout height, see confirmWait): it may
//     still land, so look it up (Lookup) before sending its messages again.
//
// A tx included with a non-zero code returns its Result and a *ChainError with Stage deliver
// naming the failing message when the log does.
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

// Lookup returns the included tx with hash, or found false while the node does not know it.
// It is how a tx that ended ErrUnconfirmed (or whose submitter died) is decided later.
func (c *Client) Lookup(ctx context.Context, hash string) (Result, bool, error) {
	res, found, err := c.node.GetTx(ctx, hash)
	if err != nil {
		return Result{}, false, fmt.Errorf("look up tx %s: %w", hash, err)
	}
	return res, found, nil
}

// confirmWait is how long Confirm looks for p: Config.ConfirmTimeout when set; otherwise, for
// a tx with a timeout height, the time the chain needs to pass it (the definitive answer: a tx
// cannot land after its timeout height), i.e. (timeout height − chain height + 2) blocks,
// times confirmSlack, at the expected block time; DefaultConfirmTimeout for a tx without one.
func (c *Client) confirmWait(chainAt int64, p Pending) time.Duration {
	switch {
	case c.confirmTimeout > 0:
		return c.confirmTimeout
	case p.TimeoutHeight > 0:
		blocks := max(p.TimeoutHeight-chainAt, 0) + 2
		return time.Duration(blocks*confirmSlack) * c.blockTime
	}
	return DefaultConfirmTimeout
}

func (c *Client) confirm(ctx context.Context, p Pending) (Result, error) {
	chainAt := p.TimeoutHeight // no height known: assume the least remaining wait
	if p.TimeoutHeight > 0 && c.confirmTimeout == 0 {
		if h, err := c.node.LatestHeight(ctx); err == nil {
			chainAt = h
		}
	}
	wait := c.confirmWait(chainAt, p)
	wctx, cancel := context.WithDeadline(ctx, p.SentAt.Add(wait))
	defer cancel()
	var (
		passed  bool  // the chain was seen above the timeout height before the last GetTx
		lastErr error // the last failure to ask, reported with an unconfirmed tx
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
			// Not found yet, and the chain has not shown that it can no longer land.
			if lastErr != nil {
				return Result{Hash: p.Hash}, fmt.Errorf("tx %s not found within %v, chain at %d, timeout height %d (last error: %w): %w",
					p.Hash, wait, chainAt, p.TimeoutHeight, lastErr, ErrUnconfirmed)
			}
			return Result{Hash: p.Hash}, fmt.Errorf("tx %s not found within %v, chain at %d, timeout height %d: %w",
				p.Hash, wait, chainAt, p.TimeoutHeight, ErrUnconfirmed)
		}
	}
}
