package localnet

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"

	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	prooftypes "github.com/pokt-network/poktroll/x/proof/types"
)

// Msg type URLs the harness counts.
const (
	MsgCreateClaimType = "/pocket.proof.MsgCreateClaim"
	MsgSubmitProofType = "/pocket.proof.MsgSubmitProof"
)

// ProofMsg is one MsgCreateClaim or MsgSubmitProof found in a block, whatever its tx's outcome.
type ProofMsg struct {
	Type       string // MsgCreateClaimType or MsgSubmitProofType
	Height     int64
	Code       uint32 // the tx's result code: 0 = accepted
	Supplier   string // supplier operator address
	SessionEnd int64
}

// ProofMsgs decodes every tx of the blocks from..to (inclusive) and returns their claim and
// proof messages, failed txs included: a resent claim that the chain refused still cost a fee
// and still counts as a duplicate.
func (l *Localnet) ProofMsgs(ctx context.Context, from, to int64) ([]ProofMsg, error) {
	var out []ProofMsg
	for h := from; h <= to; h++ {
		var blk struct {
			Block struct {
				Data struct {
					Txs []string `json:"txs"`
				} `json:"data"`
			} `json:"block"`
		}
		if err := l.cometRPC(ctx, "/block?height="+strconv.FormatInt(h, 10), &blk); err != nil {
			return nil, fmt.Errorf("block %d: %w", h, err)
		}
		if len(blk.Block.Data.Txs) == 0 {
			continue
		}
		var res struct {
			TxsResults []struct {
				Code uint32 `json:"code"`
			} `json:"txs_results"`
		}
		if err := l.cometRPC(ctx, "/block_results?height="+strconv.FormatInt(h, 10), &res); err != nil {
			return nil, fmt.Errorf("block_results %d: %w", h, err)
		}
		for i, b64 := range blk.Block.Data.Txs {
			var code uint32
			if i < len(res.TxsResults) {
				code = res.TxsResults[i].Code
			}
			msgs, err := decodeProofMsgs(b64)
			if err != nil {
				return nil, fmt.Errorf("block %d tx %d: %w", h, i, err)
			}
			for _, m := range msgs {
				m.Height, m.Code = h, code
				out = append(out, m)
			}
		}
	}
	return out, nil
}

// decodeProofMsgs reads the claim and proof messages of one base64 tx. Only the envelope and
// those two message types are decoded, so no interface registry is needed.
func decodeProofMsgs(b64 string) ([]ProofMsg, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, err
	}
	var tx txtypes.TxRaw
	if err := tx.Unmarshal(raw); err != nil {
		return nil, fmt.Errorf("tx envelope: %w", err)
	}
	var body txtypes.TxBody
	if err := body.Unmarshal(tx.BodyBytes); err != nil {
		return nil, fmt.Errorf("tx body: %w", err)
	}
	var out []ProofMsg
	for _, a := range body.Messages {
		switch a.TypeUrl {
		case MsgCreateClaimType:
			var m prooftypes.MsgCreateClaim
			if err := m.Unmarshal(a.Value); err != nil {
				return nil, fmt.Errorf("claim: %w", err)
			}
			out = append(out, ProofMsg{Type: a.TypeUrl, Supplier: m.SupplierOperatorAddress, SessionEnd: m.GetSessionHeader().GetSessionEndBlockHeight()})
		case MsgSubmitProofType:
			var m prooftypes.MsgSubmitProof
			if err := m.Unmarshal(a.Value); err != nil {
				return nil, fmt.Errorf("proof: %w", err)
			}
			out = append(out, ProofMsg{Type: a.TypeUrl, Supplier: m.SupplierOperatorAddress, SessionEnd: m.GetSessionHeader().GetSessionEndBlockHeight()})
		}
	}
	return out, nil
}
