package tx

import (
	"context"
	"errors"
	"fmt"
	"slices"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// ErrMessagesFailed is returned by SubmitBatch when every message was decided but some were
// not included; the Submission says which and why.
var ErrMessagesFailed = errors.New("some messages failed")

// SubmitBatch sends msgs in one tx and keeps going until every message is decided. When the
// chain refuses or fails the tx because of one message — Simulate, CheckTx or delivery naming
// "message index: N" — that message is recorded as failed with the chain's log, dropped, and
// the others are re-signed into a new tx (new sequence, new gas, new hash) and sent again. It
// stops when a tx with the remaining messages is included, none remain, the timeout height
// passes, or ctx ends.
//
// The Submission records every tx and every message's fate (included, failed with a reason,
// not attempted, pending). The error is nil only when every message was included; otherwise it
// wraps what ended the loop (ErrTimeout, ErrUnconfirmed, a *ChainError not tied to one
// message, the context's error) or is ErrMessagesFailed. A message whose tx reached the node
// but was not found in a block is MessagePending, never failed: it may still land.
func (c *Client) SubmitBatch(ctx context.Context, signer Signer, msgs []sdk.Msg, opts Options) (Submission, error) {
	sub := Submission{
		Kind: opts.Kind, Signer: signer.Address(), TimeoutHeight: opts.TimeoutHeight, StartedAt: c.now(),
		Txs: []TxAttempt{}, Messages: make([]MessageOutcome, len(msgs)),
	}
	remaining := make([]int, len(msgs))
	for i, m := range msgs {
		sub.Messages[i] = MessageOutcome{Index: i, TypeURL: sdk.MsgTypeURL(m), Status: MessageNotAttempted}
		remaining[i] = i
	}
	var last error
	for len(remaining) > 0 {
		batch := make([]sdk.Msg, len(remaining))
		for j, i := range remaining {
			batch[j] = msgs[i]
		}
		att, err := c.batchAttempt(ctx, signer, batch, opts, remaining)
		att.Messages = slices.Clone(remaining)
		sub.Txs = append(sub.Txs, att)
		if err == nil {
			for _, i := range remaining {
				sub.Messages[i] = outcome(sub.Messages[i], MessageIncluded, "", "", att.Hash, att.Height)
			}
			remaining = nil
			break
		}
		var ce *ChainError
		if errors.As(err, &ce) && ce.MsgIndex >= 0 && ce.MsgIndex < len(remaining) && !errors.Is(err, ErrTimeout) {
			i := remaining[ce.MsgIndex]
			sub.Messages[i] = outcome(sub.Messages[i], MessageFailed, string(ce.Stage), ce.Log, ce.Hash, ce.Height)
			c.log.Info().Str("signer", signer.Address()).Int("message", i).Str("stage", string(ce.Stage)).
				Str("type", sub.Messages[i].TypeURL).Msg("tx message failed; re-sending the others")
			remaining = slices.Delete(remaining, ce.MsgIndex, ce.MsgIndex+1)
			continue
		}
		// Not tied to one message: every remaining message shares the fate.
		status, reason := MessageNotAttempted, ""
		switch {
		case errors.Is(err, ErrTimeout):
			status, reason = MessageFailed, ReasonTimeout
		case ce != nil:
			status, reason = MessageFailed, string(ce.Stage)
		case att.Hash != "":
			// It reached the node and may still land (ErrUnconfirmed, an unanswered broadcast,
			// or the context ended while confirming): never report it as failed.
			status, reason = MessagePending, ReasonUnconfirmed
		}
		for _, i := range remaining {
			sub.Messages[i] = outcome(sub.Messages[i], status, reason, err.Error(), att.Hash, att.Height)
		}
		last = err
		break
	}
	sub.FinishedAt = c.now()
	inc := sub.Included()
	switch {
	case inc == len(msgs):
		return sub, nil
	case last != nil:
		return sub, fmt.Errorf("batch: %d of %d messages included: %w", inc, len(msgs), last)
	}
	return sub, fmt.Errorf("batch: %d of %d messages included: %w", inc, len(msgs), ErrMessagesFailed)
}

// batchAttempt sends one tx and describes it.
func (c *Client) batchAttempt(ctx context.Context, signer Signer, msgs []sdk.Msg, opts Options, idx []int) (TxAttempt, error) {
	var att TxAttempt
	p, err := c.Broadcast(ctx, signer, msgs, opts)
	att.Hash = p.Hash // also set on an error when the node may hold the tx
	if p.Hash != "" && opts.OnBroadcast != nil {
		opts.OnBroadcast(p.Hash, slices.Clone(idx))
	}
	if err == nil {
		var res Result
		res, err = c.Confirm(ctx, p)
		att.Height, att.Code, att.GasUsed = res.Height, res.Code, res.GasUsed
	}
	att.Outcome = outcomeOf(err)
	if err != nil {
		att.Error = err.Error()
		var ce *ChainError
		if errors.As(err, &ce) && !errors.Is(err, ErrTimeout) {
			att.Stage, att.Code = ce.Stage, ce.Code
			if att.Hash == "" {
				att.Hash = ce.Hash
			}
		}
	}
	return att, err
}

func outcome(m MessageOutcome, s MessageStatus, reason, errText, hash string, height int64) MessageOutcome {
	m.Status, m.Reason, m.Error, m.TxHash, m.Height = s, reason, errText, hash, height
	return m
}
