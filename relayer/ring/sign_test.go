package ring

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"testing"
)

func TestNewSignerErrors(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{50}))
	keys := []keyPair{newKey(rng), newKey(rng)}
	v := New(Config{})
	r, err := v.PrepareRing(pubKeys(keys))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		priv []byte
		want error
	}{
		{"short", keys[0].priv[:31], ErrBadPrivateKey},
		{"zero", make([]byte, 32), ErrBadPrivateKey},
		{"order", curveOrder.FillBytes(make([]byte, 32)), ErrBadPrivateKey},
		{"above order", new(big.Int).Add(curveOrder, big.NewInt(1)).FillBytes(make([]byte, 32)), ErrBadPrivateKey},
		{"not a member", newKey(rng).priv, ErrNotMember},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewSigner(r, tc.priv); !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

// Our signatures have ring-go's layout and verify in ring-go, for every
// member of rings of 1..8 (ring sizes beyond the differential sample's
// signers).
func TestSignerVerifiesInRingGo(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{51}))
	v := New(Config{})
	for size := 1; size <= 8; size++ {
		keys := make([]keyPair, size)
		for i := range keys {
			keys[i] = newKey(rng)
		}
		r, err := v.PrepareRing(pubKeys(keys))
		if err != nil {
			t.Fatal(err)
		}
		k := keys[rng.IntN(size)]
		s, err := NewSigner(r, k.priv)
		if err != nil {
			t.Fatal(err)
		}
		msg := randMsg(rng)
		sig, err := s.Sign(msg)
		if err != nil {
			t.Fatal(err)
		}
		if len(sig) != headerLen+size*memberLen {
			t.Fatalf("size %d: %d bytes", size, len(sig))
		}
		if ref := refVerify(pubKeys(keys), msg, sig); !ref.ok {
			t.Fatalf("size %d: ring-go rejects our signature: %+v", size, ref)
		}
		if err := v.Verify(r, msg, sig); err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
	}
}

// A ring larger than linearScanMax looks members up through its map; a
// signature over a few of its members and one over all of them verify in
// both implementations.
func TestLargeRing(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{52}))
	keys := make([]keyPair, linearScanMax+4)
	for i := range keys {
		keys[i] = newKey(rng)
	}
	v := New(Config{})
	r, err := v.PrepareRing(pubKeys(keys))
	if err != nil {
		t.Fatal(err)
	}
	if r.index == nil {
		t.Fatal("no member index for a large ring")
	}
	msg := randMsg(rng)
	few := refSign(t, pubKeys(keys[3:5]), keys[4].priv, msg)
	all, err := Sign(r, msg, keys[7].priv)
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range [][]byte{few, all} {
		if ref := refVerify(pubKeys(keys), msg, sig); !ref.ok {
			t.Fatalf("ring-go rejects: %+v", ref)
		}
		if err := v.Verify(r, msg, sig); err != nil {
			t.Fatal(err)
		}
	}
}
