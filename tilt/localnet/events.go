package localnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Event type names the harness asserts on.
const (
	EventClaimCreated          = "pocket.proof.EventClaimCreated"
	EventProofSubmitted        = "pocket.proof.EventProofSubmitted"
	EventProofValidityChecked  = "pocket.proof.EventProofValidityChecked"
	EventClaimSettled          = "pocket.tokenomics.EventClaimSettled"
	EventClaimExpired          = "pocket.tokenomics.EventClaimExpired"
	EventSupplierSlashed       = "pocket.tokenomics.EventSupplierSlashed"
	EventClaimDiscarded        = "pocket.tokenomics.EventClaimDiscarded"
	EventAppOverserviced       = "pocket.tokenomics.EventApplicationOverserviced"
	ClaimProofStatusValidated  = 1 // pocket.proof.ClaimProofStatus VALIDATED
	ClaimProofStatusInvalid    = 2 // pocket.proof.ClaimProofStatus INVALID
	attrSupplierOperator       = "supplier_operator_address"
	attrSessionEndBlockHeight  = "session_end_block_height"
	attrNumRelays              = "num_relays"
	attrClaimProofStatusInt    = "claim_proof_status_int"
	attrProofValidationFailure = "failure_reason"
)

// Event is one ABCI event of a block: from a tx (TxIndex ≥ 0) or from Finalize/EndBlock
// (TxIndex = -1). Attribute values are decoded: typed events carry JSON values, and a JSON
// string is unquoted ("\"12\"" → "12").
type Event struct {
	Height  int64             `json:"height"`
	TxIndex int               `json:"tx_index"`
	Type    string            `json:"type"`
	Attrs   map[string]string `json:"attributes"`
}

// Int returns the attribute key as an integer (0 when absent or not a number).
func (e Event) Int(key string) int64 {
	n, _ := strconv.ParseInt(e.Attrs[key], 10, 64)
	return n
}

type abciEvent struct {
	Type       string `json:"type"`
	Attributes []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	} `json:"attributes"`
}

func (a abciEvent) decode(height int64, txIndex int) Event {
	e := Event{Height: height, TxIndex: txIndex, Type: a.Type, Attrs: make(map[string]string, len(a.Attributes))}
	for _, kv := range a.Attributes {
		v := kv.Value
		if len(v) >= 2 && v[0] == '"' {
			var s string
			if json.Unmarshal([]byte(v), &s) == nil {
				v = s
			}
		}
		e.Attrs[kv.Key] = v
	}
	return e
}

// BlockEvents returns every event of block height, tx events first (in tx order), then the
// block's Finalize/EndBlock events, as /block_results reports them.
func (l *Localnet) BlockEvents(ctx context.Context, height int64) ([]Event, error) {
	var r struct {
		TxsResults []struct {
			Events []abciEvent `json:"events"`
		} `json:"txs_results"`
		FinalizeBlockEvents []abciEvent `json:"finalize_block_events"`
	}
	// CometBFT reports a height a moment before its results are stored: retry that only.
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := poll(wctx, "results of block "+strconv.FormatInt(height, 10), 200*time.Millisecond, func(ctx context.Context) (bool, error) {
		err := l.cometRPC(ctx, "/block_results?height="+strconv.FormatInt(height, 10), &r)
		if err != nil && strings.Contains(err.Error(), "could not find results for height") {
			return false, err
		}
		return true, err
	})
	if err != nil {
		return nil, fmt.Errorf("block_results %d: %w", height, err)
	}
	var out []Event
	for i, tx := range r.TxsResults {
		for _, a := range tx.Events {
			out = append(out, a.decode(height, i))
		}
	}
	for _, a := range r.FinalizeBlockEvents {
		out = append(out, a.decode(height, -1))
	}
	return out, nil
}

// EventsBetween returns the events of the given types in blocks from..to (inclusive), in
// block order; no types means every event.
func (l *Localnet) EventsBetween(ctx context.Context, from, to int64, types ...string) ([]Event, error) {
	var out []Event
	for h := from; h <= to; h++ {
		evs, err := l.BlockEvents(ctx, h)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			if len(types) == 0 || contains(types, e.Type) {
				out = append(out, e)
			}
		}
	}
	return out, nil
}

// Settlement is the on-chain life of one supplier's claim for one session.
type Settlement struct {
	Supplier   string `json:"supplier"`
	SessionEnd int64  `json:"session_end_block_height"`
	// ClaimCreated, ProofSubmitted, ProofChecked and Settled are the matching events; nil when
	// the chain emitted none. Expired is set when the claim expired instead of settling.
	ClaimCreated   *Event `json:"claim_created,omitempty"`
	ProofSubmitted *Event `json:"proof_submitted,omitempty"`
	ProofChecked   *Event `json:"proof_checked,omitempty"`
	Settled        *Event `json:"settled,omitempty"`
	Expired        *Event `json:"expired,omitempty"`
	// Discarded is set when settlement failed and the chain dropped the claim unpaid (and
	// unslashed): poktroll v0.1.35 does this to a supplier whose services are gone by then,
	// such as one that unstaked (x/tokenomics/token_logic_module/distribution_supplier.go).
	Discarded *Event `json:"discarded,omitempty"`
}

// NumRelays is the relay count of the settled claim (0 when it did not settle).
func (s Settlement) NumRelays() int64 {
	if s.Settled == nil {
		return 0
	}
	return s.Settled.Int(attrNumRelays)
}

// ProofValidated reports whether the proof was checked and found VALIDATED.
func (s Settlement) ProofValidated() bool {
	return s.ProofChecked != nil && s.ProofChecked.Int(attrClaimProofStatusInt) == ClaimProofStatusValidated
}

// ErrNoClaim is returned by WaitForSettlement when no claim was created for the session.
var ErrNoClaim = errors.New("no claim was created for the session")

// WaitForSettlement waits for the block whose EndBlock settles claims of the session ending at
// sessionEnd, then reads every block from sessionEnd+1 to it and returns supplier's claim,
// proof and settlement events. It fails with ErrNoClaim when no claim landed, and with a
// descriptive error when the claim did not settle (expired, invalid proof).
func (l *Localnet) WaitForSettlement(ctx context.Context, supplier string, sessionEnd int64) (Settlement, error) {
	s := Settlement{Supplier: supplier, SessionEnd: sessionEnd}
	last := l.SessionAt(sessionEnd).SettlementHeight(sessionEnd)
	if _, err := l.WaitHeight(ctx, last); err != nil {
		return s, err
	}
	end := strconv.FormatInt(sessionEnd, 10)
	for h := sessionEnd + 1; h <= last; h++ {
		evs, err := l.BlockEvents(ctx, h)
		if err != nil {
			return s, err
		}
		for i := range evs {
			e := evs[i]
			if e.Attrs[attrSessionEndBlockHeight] != end {
				continue
			}
			// A discarded claim names its supplier only inside the claim it carries.
			if e.Type == EventClaimDiscarded && strings.Contains(e.Attrs["claim"], supplier) {
				s.Discarded = &e
				continue
			}
			if e.Attrs[attrSupplierOperator] != supplier {
				continue
			}
			switch e.Type {
			case EventClaimCreated:
				s.ClaimCreated = &e
			case EventProofSubmitted:
				s.ProofSubmitted = &e
			case EventProofValidityChecked:
				s.ProofChecked = &e
			case EventClaimSettled:
				s.Settled = &e
			case EventClaimExpired:
				s.Expired = &e
			}
		}
	}
	switch {
	case s.ClaimCreated == nil:
		return s, fmt.Errorf("session ending at %d, supplier %s: %w", sessionEnd, supplier, ErrNoClaim)
	case s.Settled == nil:
		return s, fmt.Errorf("session ending at %d, supplier %s: claim did not settle by height %d: %s", sessionEnd, supplier, last, s.describe())
	}
	return s, nil
}

// describe summarises what happened, for failure messages.
func (s Settlement) describe() string {
	var parts []string
	add := func(name string, e *Event) {
		if e == nil {
			parts = append(parts, name+": none")
			return
		}
		b, _ := json.Marshal(e.Attrs)
		parts = append(parts, fmt.Sprintf("%s at %d: %s", name, e.Height, b))
	}
	add("claim", s.ClaimCreated)
	add("proof", s.ProofSubmitted)
	add("proof check", s.ProofChecked)
	add("settled", s.Settled)
	add("expired", s.Expired)
	add("discarded", s.Discarded)
	return strings.Join(parts, "; ")
}
