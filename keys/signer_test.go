package keys

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/hd"
	cosmossecp "github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
)

// supplier1Mnemonic is the supplier1 account of poktroll's localnet (config.yml, v0.1.35).
const (
	supplier1Mnemonic = "cool industry busy tumble funny relax error state height like board wing goat emerge visual idle never unveil announce hill primary okay spatial frog"
	supplier1Address  = "pokt19a3t4yunp0dlpfjrp7qwnzwlrzd5fzs2gjaaaj"
)

// supplier1Key derives supplier1's private key on the default cosmos path m/44'/118'/0'/0/0.
func supplier1Key(t testing.TB) []byte {
	t.Helper()
	key, err := hd.Secp256k1.Derive()(supplier1Mnemonic, "", hd.CreateHDPath(118, 0, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func signerFromBytes(t testing.TB, key []byte) *Signer {
	t.Helper()
	var raw [32]byte
	copy(raw[:], key)
	s, err := newSigner(&raw)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSupplier1Address(t *testing.T) {
	var raw [32]byte
	if err := parseHexKey(hex.EncodeToString(supplier1Key(t)), &raw); err != nil {
		t.Fatal(err)
	}
	s, err := newSigner(&raw)
	if err != nil {
		t.Fatal(err)
	}
	if s.Address() != supplier1Address {
		t.Fatalf("address %s, want %s", s.Address(), supplier1Address)
	}
}

func TestSignMatchesCosmos(t *testing.T) {
	priv, _ := genKey(t)
	s := signerFromBytes(t, priv.Key)
	if !s.PubKey().Equals(priv.PubKey()) {
		t.Fatal("public key differs from cosmos-sdk's")
	}
	if s.Address() != wantAddress(t, priv) {
		t.Fatalf("address %s, want %s", s.Address(), wantAddress(t, priv))
	}
	if _, ok := s.PubKey().(*cosmossecp.PubKey); !ok {
		t.Fatalf("PubKey is %T, want *secp256k1.PubKey", s.PubKey())
	}
	signable := sha256.Sum256([]byte("relay response signable bytes"))
	for _, msg := range [][]byte{signable[:], []byte("tx sign bytes"), nil} {
		sig, err := s.Sign(msg)
		if err != nil {
			t.Fatal(err)
		}
		if len(sig) != SignatureSize {
			t.Fatalf("signature of %d bytes, want %d", len(sig), SignatureSize)
		}
		if !s.PubKey().VerifySignature(msg, sig) {
			t.Fatal("signature does not verify with PubKey")
		}
		want, err := priv.Sign(msg)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(sig, want) {
			t.Fatalf("signature %x, cosmos-sdk signs %x", sig, want)
		}
		if s.PubKey().VerifySignature(append([]byte("x"), msg...), sig) {
			t.Fatal("signature verifies for another message")
		}
	}
}

func TestSignerRedacts(t *testing.T) {
	key := supplier1Key(t)
	s := signerFromBytes(t, key)
	keyHex := hex.EncodeToString(key)
	js, err := json.Marshal(map[string]any{"signer": s, "value": *s})
	if err != nil {
		t.Fatal(err)
	}
	outputs := []string{
		fmt.Sprintf("%v %+v", s, s),
		fmt.Sprintf("%v %+v %#v %s %q %x %X %d", *s, *s, *s, *s, *s, *s, *s, *s),
		fmt.Sprintf("%#v %s %x", s, s, s),
		fmt.Sprintf("%+v", []*Signer{s}),
		fmt.Sprintf("%+v", struct{ S Signer }{*s}),
		string(js),
	}
	for _, out := range outputs {
		if !strings.Contains(out, s.Address()) {
			t.Errorf("output lacks the address: %s", out)
		}
		assertNoKeyMaterial(t, out, keyHex)
	}
}

func TestKeyringOptionsRedactPassphrase(t *testing.T) {
	o := KeyringOptions{Backend: BackendFile, Dir: "/k", Passphrase: "correct horse battery", Names: []string{"a"}}
	for _, out := range []string{fmt.Sprintf("%v %+v %#v %s", o, o, o, o), fmt.Sprintf("%v %+v", &o, &o)} {
		if strings.Contains(out, "horse") {
			t.Errorf("passphrase printed: %s", out)
		}
	}
}

func BenchmarkSign(b *testing.B) {
	key := supplier1Key(b)
	s := signerFromBytes(b, key)
	priv := &cosmossecp.PrivKey{Key: key}
	msg := sha256.Sum256([]byte("relay response"))
	b.Run("signer", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Sign(msg[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cosmos", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := priv.Sign(msg[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkGet(b *testing.B) {
	m := &Manager{}
	bld := newKeySetBuilder(nil)
	var raw [32]byte
	copy(raw[:], supplier1Key(b))
	if err := bld.add(&raw, "bench"); err != nil {
		b.Fatal(err)
	}
	m.set.Store(bld.build())
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := m.Get(supplier1Address); !ok {
			b.Fatal("not found")
		}
	}
}
