package keys

import (
	"crypto/sha256"
	"fmt"

	cosmossecp "github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	"github.com/cosmos/cosmos-sdk/types/bech32"
	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
)

// AddressHRP is the bech32 human-readable prefix of Pocket account addresses.
const AddressHRP = "pokt"

// SignatureSize is the length of a signature from Signer.Sign: R || S, 32 bytes each.
const SignatureSize = 64

// Signer signs with one supplier operator key. It is immutable and safe for concurrent use.
//
// Its private key is parsed once, at load time. Printing a Signer with any fmt verb, or
// marshaling it, shows only its address.
type Signer struct {
	addr string
	pub  *cosmossecp.PubKey
	priv *secp256k1.PrivateKey
}

// newSigner builds a Signer from a private key already checked by parseHexKey or checkScalar.
func newSigner(raw *[32]byte) (*Signer, error) {
	var k secp256k1.ModNScalar
	if overflow := k.SetBytes(raw); overflow != 0 || k.IsZero() {
		return nil, errKeyOutRange
	}
	priv := secp256k1.NewPrivateKey(&k)
	k.Zero()
	pub := &cosmossecp.PubKey{Key: priv.PubKey().SerializeCompressed()}
	addr, err := operatorAddress(pub)
	if err != nil {
		return nil, err
	}
	return &Signer{addr: addr, pub: pub, priv: priv}, nil
}

// operatorAddress is the bech32 "pokt" form of a public key's 20-byte cosmos account address.
// It does not read the global sdk.Config.
func operatorAddress(pub cryptotypes.PubKey) (string, error) {
	addr, err := bech32.ConvertAndEncode(AddressHRP, pub.Address())
	if err != nil {
		return "", fmt.Errorf("encode bech32 address: %w", err)
	}
	return addr, nil
}

// Address is the supplier operator address, bech32 with the "pokt" prefix.
func (s *Signer) Address() string { return s.addr }

// PubKey is the compressed secp256k1 public key (a *secp256k1.PubKey of cosmos-sdk). The caller
// must not modify it.
func (s *Signer) PubKey() cryptotypes.PubKey { return s.pub }

// Sign signs msg exactly as cosmos-sdk's secp256k1 PrivKey.Sign does: ECDSA over sha256(msg)
// with an RFC 6979 nonce, returned as 64 bytes R || S in low-S form. The result verifies with
// PubKey().VerifySignature(msg, sig). Use it for relay responses (msg is the signable-bytes hash)
// and for SIGN_MODE_DIRECT transaction sign bytes alike.
//
// The error is always nil today; it is there so that a remote or hardware signer can fit.
func (s *Signer) Sign(msg []byte) ([]byte, error) {
	digest := sha256.Sum256(msg)
	sig := ecdsa.SignCompact(s.priv, digest[:], false)
	// sig[0] is the public-key recovery code; cosmos drops it.
	return sig[1:], nil
}

// String shows the address only.
func (s Signer) String() string { return "keys.Signer{" + s.addr + "}" }

// GoString shows the address only, also for %#v.
func (s Signer) GoString() string { return s.String() }

// Format makes every fmt verb (%v, %+v, %#v, %s, %q, %x...) print String, so the private key
// can never be formatted, whether the value or a pointer is printed.
func (s Signer) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// MarshalText shows the address only, for encoders such as encoding/json and zerolog.
func (s Signer) MarshalText() ([]byte, error) { return []byte(s.addr), nil }
