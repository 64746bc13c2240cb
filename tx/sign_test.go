package tx

import (
	"testing"

	"cosmossdk.io/x/tx/signing"
	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	cryptocodec "github.com/cosmos/cosmos-sdk/crypto/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdksigning "github.com/cosmos/cosmos-sdk/types/tx/signing"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	"github.com/cosmos/gogoproto/proto"
)

// TestSignVerifiesWithSDK decodes our tx with the cosmos-sdk tx decoder and verifies the
// signature with the SDK's own SIGN_MODE_DIRECT handler, as the chain's ante handler does.
func TestSignVerifiesWithSDK(t *testing.T) {
	s := newTestSigner(t)
	msgs := []sdk.Msg{send(s.Address(), s.Address(), 5), send(s.Address(), s.Address(), 7)}
	body, err := encodeBody(msgs, "memo", 123)
	if err != nil {
		t.Fatal(err)
	}
	p := signParams{chainID: "pocket", accountNumber: 9, sequence: 4, gas: 250_000, fee: sdk.NewCoins(sdk.NewInt64Coin("upokt", 250))}
	bz, err := signTx(s, body, p)
	if err != nil {
		t.Fatal(err)
	}

	files, err := proto.MergedRegistry()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := codectypes.NewInterfaceRegistryWithOptions(codectypes.InterfaceRegistryOptions{
		ProtoFiles: files,
		SigningOptions: signing.Options{
			AddressCodec:          addresscodec.NewBech32Codec("pokt"),
			ValidatorAddressCodec: addresscodec.NewBech32Codec("poktvaloper"),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	cryptocodec.RegisterInterfaces(reg)
	banktypes.RegisterInterfaces(reg)
	cfg, err := authtx.NewTxConfigWithOptions(codec.NewProtoCodec(reg), authtx.ConfigOptions{
		EnabledSignModes: []sdksigning.SignMode{sdksigning.SignMode_SIGN_MODE_DIRECT},
	})
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := cfg.TxDecoder()(bz)
	if err != nil {
		t.Fatal(err)
	}
	stx := decoded.(authsigning.Tx)
	if stx.GetMemo() != "memo" || stx.GetTimeoutHeight() != 123 || stx.GetGas() != 250_000 || stx.GetFee().String() != "250upokt" {
		t.Fatalf("decoded memo %q timeout %d gas %d fee %s", stx.GetMemo(), stx.GetTimeoutHeight(), stx.GetGas(), stx.GetFee())
	}
	if n := len(stx.GetMsgs()); n != 2 {
		t.Fatalf("decoded %d messages, want 2", n)
	}
	sigs, err := stx.GetSignaturesV2()
	if err != nil || len(sigs) != 1 {
		t.Fatalf("signatures %v, %v", sigs, err)
	}
	if sigs[0].Sequence != 4 || !sigs[0].PubKey.Equals(s.PubKey()) {
		t.Fatalf("signer info: sequence %d pubkey %v", sigs[0].Sequence, sigs[0].PubKey)
	}
	if mode := sigs[0].Data.(*sdksigning.SingleSignatureData).SignMode; mode != sdksigning.SignMode_SIGN_MODE_DIRECT {
		t.Fatalf("sign mode %v", mode)
	}
	data := signing.SignerData{ChainID: "pocket", AccountNumber: 9, Sequence: 4, Address: s.Address()}
	pk := s.PubKey()
	txData := decoded.(authsigning.V2AdaptableTx).GetSigningTxData()
	if err := authsigning.VerifySignature(t.Context(), pk, data, sigs[0].Data, cfg.SignModeHandler(), txData); err != nil {
		t.Fatalf("the SDK does not verify our signature: %v", err)
	}
	// A different account number must not verify.
	data.AccountNumber = 10
	if err := authsigning.VerifySignature(t.Context(), pk, data, sigs[0].Data, cfg.SignModeHandler(), txData); err == nil {
		t.Fatal("signature verified for another account number")
	}
}

func TestTxHashUpperHex(t *testing.T) {
	if got := txHash([]byte("abc")); got != "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD" {
		t.Fatalf("hash %s", got)
	}
}
