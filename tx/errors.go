package tx

import (
	"errors"
	"fmt"
	"strings"
)

// Stage is where in its life a tx was refused.
type Stage string

// Stages of a tx, in order.
const (
	StageSimulate Stage = "simulate" // the node's Simulate refused it; nothing was broadcast
	StageCheck    Stage = "check"    // CheckTx refused it; it never entered the mempool
	StageDeliver  Stage = "deliver"  // it was included in a block with a non-zero code
)

// Sentinel errors. Test with errors.Is.
var (
	// ErrTimeout: the tx did not land before its timeout height passed (reported by CheckTx,
	// by Simulate, or by confirmation seeing the chain pass the height without it), or
	// Config.ConfirmTimeout elapsed first. A timed-out tx is never a success.
	ErrTimeout = errors.New("tx timeout")
	// ErrUnconfirmed: the tx was accepted into the mempool (or its broadcast got no answer, so
	// the node may hold it) and was not found in a block when the wait for it ended, while the
	// chain had not passed its timeout height (or it has none). It may still land: it is not a
	// failure, and re-sending its messages could put them on chain twice. Look it up by hash
	// (Client.Lookup) until it is found or the chain passes its timeout height.
	ErrUnconfirmed = errors.New("tx not confirmed yet")
	// ErrUnavailable marks a transport failure talking to the node (connection refused, gRPC
	// Unavailable, deadline exceeded). Node implementations wrap such failures with it; the
	// Client retries them with backoff.
	ErrUnavailable = errors.New("node unavailable")
)

// Registered cosmos-sdk codes (codespace "sdk") the Client acts on.
const (
	codespaceSDK         = "sdk"
	codeOutOfGas         = 11
	codeTxInMempoolCache = 19 // the node already has these exact bytes: the broadcast stands
	codeMempoolIsFull    = 20
	codeTxTimeoutHeight  = 30
	codeWrongSequence    = 32
)

// ChainError is a tx the chain refused (Stage simulate or check) or included with a failure
// (Stage deliver). Log is the chain's raw log. MsgIndex is the index, within the tx, of the
// message that failed, or -1 when the failure is not tied to one message (ante handler, fees,
// out of gas).
type ChainError struct {
	Stage     Stage
	Code      uint32 // ABCI code; 0 for a Simulate refusal whose code only survives as text
	Codespace string
	Log       string
	Hash      string // empty for Stage simulate
	Height    int64  // Stage deliver only
	MsgIndex  int
}

func (e *ChainError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tx refused at %s", e.Stage)
	if e.Code != 0 {
		fmt.Fprintf(&b, " with code %s/%d", e.Codespace, e.Code)
	}
	if e.Hash != "" {
		fmt.Fprintf(&b, " (tx %s", e.Hash)
		if e.Height > 0 {
			fmt.Fprintf(&b, " at height %d", e.Height)
		}
		b.WriteString(")")
	}
	if e.MsgIndex >= 0 {
		fmt.Fprintf(&b, ", message %d", e.MsgIndex)
	}
	b.WriteString(": ")
	b.WriteString(e.Log)
	return b.String()
}

// Is makes errors.Is(err, ErrTimeout) true for a refusal because the timeout height passed.
func (e *ChainError) Is(target error) bool {
	return target == ErrTimeout && e.is(codeTxTimeoutHeight, "tx timeout height")
}

// is reports whether e carries the sdk code, or, for a Simulate refusal whose code was lost in
// transport, the registered description text of that code.
func (e *ChainError) is(code uint32, text string) bool {
	if e.Code != 0 {
		return e.Code == code && e.Codespace == codespaceSDK
	}
	return strings.Contains(e.Log, text)
}

// newChainError builds a ChainError, parsing the failing message index from log.
func newChainError(stage Stage, code uint32, codespace, log, hash string, height int64) *ChainError {
	return &ChainError{
		Stage: stage, Code: code, Codespace: codespace, Log: log, Hash: hash, Height: height,
		MsgIndex: messageIndex(log),
	}
}

// retryableTxError is a failure a later attempt may get past: a sequence mismatch (after a
// resync), a full mempool, an unavailable node. The Client retries it with backoff while the
// context and the tx's window allow.
type retryableTxError struct{ err error }

func (e *retryableTxError) Error() string { return "retryable: " + e.err.Error() }
func (e *retryableTxError) Unwrap() error { return e.err }

func retryable(err error) error { return &retryableTxError{err: err} }

func isRetryable(err error) bool {
	var r *retryableTxError
	return errors.As(err, &r)
}
