package tx

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
)

// Signer signs txs with one account key. *keys.Signer implements it.
type Signer interface {
	// Address is the account's bech32 address.
	Address() string
	// PubKey is the account's public key (cosmos secp256k1).
	PubKey() cryptotypes.PubKey
	// Sign returns the signature over msg as cosmos-sdk's secp256k1 key makes it (ECDSA over
	// sha256(msg), 64 bytes R || S).
	Sign(msg []byte) ([]byte, error)
}

// body is the encoded TxBody of a set of messages. It does not depend on gas, fee or sequence,
// so it is built once per message set and reused across re-signs.
func encodeBody(msgs []sdk.Msg, memo string, timeoutHeight int64) ([]byte, error) {
	if len(msgs) == 0 {
		return nil, fmt.Errorf("encode tx body: no messages")
	}
	if timeoutHeight < 0 {
		return nil, fmt.Errorf("encode tx body: negative timeout height %d", timeoutHeight)
	}
	anys := make([]*codectypes.Any, len(msgs))
	for i, m := range msgs {
		a, err := codectypes.NewAnyWithValue(m)
		if err != nil {
			return nil, fmt.Errorf("encode tx body: pack message %d (%T): %w", i, m, err)
		}
		anys[i] = a
	}
	body := txtypes.TxBody{Messages: anys, Memo: memo, TimeoutHeight: uint64(timeoutHeight)}
	bz, err := body.Marshal()
	if err != nil {
		return nil, fmt.Errorf("encode tx body: %w", err)
	}
	return bz, nil
}

// signParams is everything besides the body that goes into one signature.
type signParams struct {
	chainID       string
	accountNumber uint64
	sequence      uint64
	gas           uint64
	fee           sdk.Coins
	// unsigned leaves the signature empty, as Simulate expects.
	unsigned bool
}

// signTx returns the TxRaw bytes of body signed in SIGN_MODE_DIRECT by s.
func signTx(s Signer, body []byte, p signParams) ([]byte, error) {
	pk, err := codectypes.NewAnyWithValue(s.PubKey())
	if err != nil {
		return nil, fmt.Errorf("sign tx: pack public key: %w", err)
	}
	auth := txtypes.AuthInfo{
		SignerInfos: []*txtypes.SignerInfo{{
			PublicKey: pk,
			ModeInfo: &txtypes.ModeInfo{Sum: &txtypes.ModeInfo_Single_{
				Single: &txtypes.ModeInfo_Single{Mode: signing.SignMode_SIGN_MODE_DIRECT},
			}},
			Sequence: p.sequence,
		}},
		Fee: &txtypes.Fee{Amount: p.fee, GasLimit: p.gas},
	}
	authBz, err := auth.Marshal()
	if err != nil {
		return nil, fmt.Errorf("sign tx: encode auth info: %w", err)
	}
	sig := []byte{}
	if !p.unsigned {
		doc := txtypes.SignDoc{BodyBytes: body, AuthInfoBytes: authBz, ChainId: p.chainID, AccountNumber: p.accountNumber}
		docBz, err := doc.Marshal()
		if err != nil {
			return nil, fmt.Errorf("sign tx: encode sign doc: %w", err)
		}
		if sig, err = s.Sign(docBz); err != nil {
			return nil, fmt.Errorf("sign tx: %w", err)
		}
	}
	raw := txtypes.TxRaw{BodyBytes: body, AuthInfoBytes: authBz, Signatures: [][]byte{sig}}
	bz, err := raw.Marshal()
	if err != nil {
		return nil, fmt.Errorf("sign tx: encode tx: %w", err)
	}
	return bz, nil
}

// txHash is the CometBFT hash of tx bytes, upper-case hex as the chain reports it.
func txHash(txBytes []byte) string {
	h := sha256.Sum256(txBytes)
	return strings.ToUpper(hex.EncodeToString(h[:]))
}
