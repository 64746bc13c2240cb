package tx

import "time"

// MessageStatus is the fate of one message of a batch.
type MessageStatus string

// Message statuses.
const (
	// MessageIncluded: delivered successfully in the tx TxHash at Height.
	MessageIncluded MessageStatus = "included"
	// MessageFailed: the chain refused it (Reason says at which stage) or its tx did not land
	// by its timeout height (Reason timeout). Error holds the chain's log or the error.
	MessageFailed MessageStatus = "failed"
	// MessagePending: its tx TxHash reached the node (accepted into the mempool, or a broadcast
	// without an answer) and was not found in a block when SubmitBatch returned; Reason is
	// unconfirmed. It may still land: look the tx up before sending the message again.
	MessagePending MessageStatus = "pending"
	// MessageNotAttempted: no tx carrying it reached the chain (the context ended, the node
	// stayed unavailable, the account could not be read). Error says why.
	MessageNotAttempted MessageStatus = "not_attempted"
)

// Reasons a message failed (a Stage, or ReasonTimeout) or is pending (ReasonUnconfirmed).
const (
	ReasonSimulate = string(StageSimulate) // refused by Simulate (it was not broadcast)
	ReasonCheck    = string(StageCheck)    // refused by CheckTx
	ReasonDeliver  = string(StageDeliver)  // failed in the block
	ReasonTimeout  = "timeout"             // the chain passed the tx's timeout height without it
	// ReasonUnconfirmed (with MessagePending): the tx reached the node, then the wait for it or
	// the context ended before it was found; it may still land. TxHash names it.
	ReasonUnconfirmed = "unconfirmed"
)

// Submission is the record of one SubmitBatch call: every tx it sent and what became of every
// message. It is JSON-serializable so the miner can persist it for post-mortems.
type Submission struct {
	Kind          Kind      `json:"kind"`
	Signer        string    `json:"signer"`
	TimeoutHeight int64     `json:"timeout_height,omitempty"`
	StartedAt     time.Time `json:"started_at"`
	FinishedAt    time.Time `json:"finished_at"`
	// Txs lists the attempts in order; each names the messages (indexes into Messages) it
	// carried.
	Txs []TxAttempt `json:"txs"`
	// Messages has one entry per message passed to SubmitBatch, in the same order.
	Messages []MessageOutcome `json:"messages"`
}

// TxAttempt is one tx of a submission.
type TxAttempt struct {
	// Hash is empty when the tx was refused by Simulate or never signed.
	Hash     string  `json:"hash,omitempty"`
	Height   int64   `json:"height,omitempty"`
	Code     uint32  `json:"code,omitempty"`
	GasUsed  int64   `json:"gas_used,omitempty"`
	Messages []int   `json:"messages"`
	Outcome  Outcome `json:"outcome"`
	// Stage is where a failed tx was refused; empty when included or timed out.
	Stage Stage  `json:"stage,omitempty"`
	Error string `json:"error,omitempty"`
}

// MessageOutcome is the fate of one message.
type MessageOutcome struct {
	Index   int           `json:"index"`
	TypeURL string        `json:"type_url"`
	Status  MessageStatus `json:"status"`
	// Reason is set for MessageFailed: one of the Reason constants.
	Reason string `json:"reason,omitempty"`
	Error  string `json:"error,omitempty"`
	// TxHash and Height locate the tx that included it, or that failed it at delivery.
	TxHash string `json:"tx_hash,omitempty"`
	Height int64  `json:"height,omitempty"`
}

// Included counts the messages included on chain.
func (s Submission) Included() int {
	n := 0
	for _, m := range s.Messages {
		if m.Status == MessageIncluded {
			n++
		}
	}
	return n
}
