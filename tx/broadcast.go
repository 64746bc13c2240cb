package tx

import (
	"context"
	"errors"
	"fmt"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/shannon-ops/pocket-relay-miner/query"
)

// Pending is a tx the node accepted into its mempool, not yet known to be included. Confirm
// waits for it.
type Pending struct {
	Hash          string
	Signer        string
	Sequence      uint64
	Gas           uint64
	Kind          Kind
	TimeoutHeight int64
	SentAt        time.Time

	acc *account
}

// attempt carries what one try leaves for the next: the bytes of a tx whose broadcast got no
// answer, so that it is re-sent byte for byte rather than re-signed (a re-signed copy of a tx
// the node did receive would be a second, different tx).
type attempt struct {
	unanswered []byte
	sequence   uint64
	gas        uint64
}

// Broadcast signs msgs into one tx and gets it accepted by CheckTx, retrying transient
// failures (sequence mismatch after a resync, full mempool, unavailable node) with backoff up
// to the attempt limit. It does not wait for inclusion: several txs of one signer can be
// broadcast back to back, each with the next local sequence. A refusal is a *ChainError;
// a passed timeout height is also ErrTimeout. When it gives up on a tx whose last broadcast
// got no answer, the returned Pending names that tx with the error: the node may hold it, so
// it may still land.
func (c *Client) Broadcast(ctx context.Context, signer Signer, msgs []sdk.Msg, opts Options) (Pending, error) {
	p, err := c.broadcast(ctx, signer, msgs, opts)
	if err != nil && p.Hash != "" {
		err = fmt.Errorf("tx %s may have reached the node: %w: %w", p.Hash, ErrUnconfirmed, err)
	}
	if err != nil && ctx.Err() == nil {
		c.m.outcome(opts.Kind, outcomeOf(err))
	}
	return p, err
}

func (c *Client) broadcast(ctx context.Context, signer Signer, msgs []sdk.Msg, opts Options) (Pending, error) {
	body, err := encodeBody(msgs, opts.Memo, opts.TimeoutHeight)
	if err != nil {
		return Pending{}, err
	}
	acc := c.accounts.get(signer.Address())
	var at attempt
	b := newBackoff(c.minBackoff, c.maxBackoff)
	for n := 1; ; n++ {
		p, err := c.try(ctx, signer, acc, body, &at)
		if err == nil {
			p.Kind, p.TimeoutHeight, p.acc = opts.Kind, opts.TimeoutHeight, acc
			return p, nil
		}
		if !isRetryable(err) || n >= c.maxAttempts {
			return at.maybeSent(signer, opts, c.now()), err
		}
		c.log.Debug().Err(err).Str("signer", signer.Address()).Int("attempt", n).Msg("tx broadcast retry")
		if werr := b.wait(ctx); werr != nil {
			return at.maybeSent(signer, opts, c.now()), fmt.Errorf("broadcast: %w; last attempt: %w", werr, err)
		}
	}
}

// maybeSent is the Pending of a tx whose last broadcast got no answer (the node may have taken
// it), or the zero Pending when nothing may have reached the node.
func (at *attempt) maybeSent(signer Signer, opts Options, now time.Time) Pending {
	if at.unanswered == nil {
		return Pending{}
	}
	return Pending{Hash: txHash(at.unanswered), Signer: signer.Address(), Sequence: at.sequence, Gas: at.gas,
		Kind: opts.Kind, TimeoutHeight: opts.TimeoutHeight, SentAt: now}
}

// try makes one attempt: sequence, gas, signature, CheckTx. It holds the account's lock
// throughout, so sequences reach the node in order.
func (c *Client) try(ctx context.Context, signer Signer, acc *account, body []byte, at *attempt) (Pending, error) {
	acc.mu.Lock()
	defer acc.mu.Unlock()
	if err := c.accounts.ensure(ctx, signer.Address(), acc); err != nil {
		if errors.Is(err, ErrUnavailable) || errors.Is(err, query.ErrTransient) {
			return Pending{}, retryable(err)
		}
		return Pending{}, err
	}
	txBytes, gas := at.unanswered, at.gas
	if txBytes == nil || at.sequence != acc.sequence {
		var err error
		if gas, err = c.gas(ctx, signer, acc, body); err != nil {
			return Pending{}, c.refusal(acc, err)
		}
		txBytes, err = signTx(signer, body, signParams{
			chainID: c.chainID, accountNumber: acc.number, sequence: acc.sequence, gas: gas, fee: c.fees.fee(gas),
		})
		if err != nil {
			return Pending{}, err
		}
	}
	at.unanswered = nil
	hash := txHash(txBytes)
	res, err := c.node.BroadcastSync(ctx, txBytes)
	if err != nil {
		if errors.Is(err, ErrUnavailable) || ctx.Err() != nil {
			// No answer: the node may have taken it. Keep the bytes, to re-send them as they
			// are or, when giving up, to name the tx that may still land.
			at.unanswered, at.sequence, at.gas = txBytes, acc.sequence, gas
		}
		if errors.Is(err, ErrUnavailable) {
			return Pending{}, retryable(fmt.Errorf("broadcast tx %s: %w", hash, err))
		}
		return Pending{}, fmt.Errorf("broadcast tx %s: %w", hash, err)
	}
	if res.Hash == "" {
		res.Hash = hash
	}
	if res.Code == 0 || (res.Code == codeTxInMempoolCache && res.Codespace == codespaceSDK) {
		p := Pending{Hash: res.Hash, Signer: signer.Address(), Sequence: acc.sequence, Gas: gas, SentAt: c.now()}
		acc.sequence++
		return p, nil
	}
	return Pending{}, c.refusal(acc, newChainError(StageCheck, res.Code, res.Codespace, res.Log, res.Hash, 0))
}

// gas is the configured gas limit, or the simulated gas times the adjustment.
func (c *Client) gas(ctx context.Context, signer Signer, acc *account, body []byte) (uint64, error) {
	if c.gasLimit > 0 {
		return c.gasLimit, nil
	}
	sim, err := signTx(signer, body, signParams{
		chainID: c.chainID, accountNumber: acc.number, sequence: acc.sequence, unsigned: true,
	})
	if err != nil {
		return 0, err
	}
	used, err := c.node.Simulate(ctx, sim)
	if err != nil {
		return 0, err
	}
	return adjustGas(used, c.gasAdjustment), nil
}

// refusal classifies an error from Simulate or CheckTx, resyncing the sequence on a mismatch.
// The caller holds acc.mu.
func (c *Client) refusal(acc *account, err error) error {
	var ce *ChainError
	switch {
	case errors.Is(err, ErrUnavailable):
		return retryable(err)
	case !errors.As(err, &ce):
		return err
	case ce.is(codeWrongSequence, "incorrect account sequence"):
		acc.resync(ce.Log)
		return retryable(err)
	case ce.is(codeMempoolIsFull, "mempool is full"):
		return retryable(err)
	}
	return err
}
