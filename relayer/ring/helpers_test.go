package ring

import (
	"crypto/sha256"
	"crypto/sha3"
	"encoding/hex"
	"math/big"
	"math/rand/v2"
	"testing"

	secp "github.com/decred/dcrd/dcrec/secp256k1/v4"
	dleqtypes "github.com/pokt-network/go-dleq/types"
	ringgo "github.com/pokt-network/ring-go"
)

// placeholderSecret and placeholderPubKeyHex are poktroll's
// pkg/crypto/rings.PlaceholderRingPubKey, the member added to the ring of an
// application without gateways: cosmos-sdk
// secp256k1.GenPrivKeyFromSecret([]byte(placeholderSecret)).PubKey().
// The hex was taken from poktroll v0.1.35 once; TestPlaceholderKey re-derives
// it without importing the SDK.
const (
	placeholderSecret    = "placeholder_ring_key_for_apps_without_gateways"
	placeholderPubKeyHex = "021066f293709356a33e9c13017867586baf52513e845bc4335233a15ed1e00baf"
)

// placeholderPrivKey re-derives the placeholder's private key the way
// cosmos-sdk's GenPrivKeyFromSecret does: sha256(secret) mod (N−1) + 1.
func placeholderPrivKey() []byte {
	h := sha256.Sum256([]byte(placeholderSecret))
	v := new(big.Int).SetBytes(h[:])
	v.Mod(v, new(big.Int).Sub(curveOrder, big.NewInt(1)))
	v.Add(v, big.NewInt(1))
	return v.FillBytes(make([]byte, 32))
}

func TestPlaceholderKey(t *testing.T) {
	if got := hex.EncodeToString(pubOf(placeholderPrivKey())); got != placeholderPubKeyHex {
		t.Fatalf("placeholder key %s, want %s", got, placeholderPubKeyHex)
	}
}

type keyPair struct{ priv, pub []byte }

func newKey(rng *rand.Rand) keyPair {
	for {
		var b [32]byte
		for i := range 4 {
			v := rng.Uint64()
			for j := range 8 {
				b[8*i+j] = byte(v >> (8 * j))
			}
		}
		var s secp.ModNScalar
		if s.SetBytes(&b) != 0 || s.IsZero() {
			continue
		}
		return keyPair{priv: b[:], pub: pubOf(b[:])}
	}
}

func pubOf(priv []byte) []byte {
	return secp.PrivKeyFromBytes(priv).PubKey().SerializeCompressed()
}

func pubKeys(keys []keyPair) [][]byte {
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i] = k.pub
	}
	return out
}

// refResult is what the reference path said about one signature.
type refResult struct {
	ok       bool
	panicked bool
}

// refVerify is the reference: ring-go's Deserialize, poktroll's subset check
// (ringPointsContain: every embedded key's encoding is in the expected set),
// then ring-go's Verify. A panic in ring-go counts as a rejection and is
// reported.
func refVerify(expected [][]byte, msg [32]byte, sig []byte) (res refResult) {
	defer func() {
		if recover() != nil {
			res = refResult{panicked: true}
		}
	}()
	curve := ringgo.Secp256k1()
	set := make(map[string]bool, len(expected))
	for _, k := range expected {
		p, err := curve.DecodeToPoint(k)
		if err != nil {
			panic("bad expected key in test")
		}
		set[string(p.Encode())] = true
	}
	rs := new(ringgo.RingSig)
	if err := rs.Deserialize(curve, sig); err != nil {
		return refResult{}
	}
	for _, pk := range rs.PublicKeys() {
		if !set[string(pk.Encode())] {
			return refResult{}
		}
	}
	return refResult{ok: rs.Verify(msg)}
}

// refSign signs with ring-go over the given member keys (in that order;
// repeats allowed) as the member holding priv.
func refSign(t testing.TB, members [][]byte, priv []byte, msg [32]byte) []byte {
	t.Helper()
	curve := ringgo.Secp256k1()
	ps := make([]dleqtypes.Point, len(members))
	for i, k := range members {
		p, err := curve.DecodeToPoint(k)
		if err != nil {
			t.Fatalf("decode member %d: %v", i, err)
		}
		ps[i] = p
	}
	r, err := ringgo.NewFixedKeyRingFromPublicKeys(curve, ps)
	if err != nil {
		t.Fatalf("ring-go ring: %v", err)
	}
	x, err := curve.DecodeToScalar(priv)
	if err != nil {
		t.Fatalf("ring-go scalar: %v", err)
	}
	sig, err := r.Sign(msg, x)
	if err != nil {
		t.Fatalf("ring-go sign: %v", err)
	}
	b, err := sig.Serialize()
	if err != nil {
		t.Fatalf("ring-go serialize: %v", err)
	}
	return b
}

func randMsg(rng *rand.Rand) [32]byte {
	var m [32]byte
	for i := range m {
		m[i] = byte(rng.Uint32())
	}
	return m
}

func sha3Sum512(in []byte) [64]byte { return sha3.Sum512(in) }
