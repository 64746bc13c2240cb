package ring

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// TestVerifyReferenceAgreesWithVerifier: the run-time reference check (ring-go, the chain's
// implementation) accepts what both sign validly and rejects a flipped bit, a signer outside
// the expected ring and garbage, as Verifier does.
func TestVerifyReferenceAgreesWithVerifier(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	keys := []keyPair{newKey(rng), newKey(rng)}
	outsider := newKey(rng)
	members := pubKeys(keys)
	var msg [32]byte
	msg[0] = 42
	v := New(Config{})
	r, err := v.PrepareRing(members)
	if err != nil {
		t.Fatal(err)
	}
	ours, err := Sign(r, msg, keys[1].priv)
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte(nil), ours...)
	flipped[10] ^= 1
	tests := []struct {
		name string
		sig  []byte
		ok   bool
	}{
		{"ours", ours, true},
		{"ring-go", refSign(t, members, keys[0].priv, msg), true},
		{"flipped bit", flipped, false},
		{"outsider", refSign(t, [][]byte{outsider.pub, members[0]}, outsider.priv, msg), false},
		{"garbage", []byte{0, 0, 0, 2, 1, 2, 3}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyReference(members, msg, tc.sig)
			if tc.ok != (err == nil) {
				t.Fatalf("VerifyReference: %v, want ok=%v", err, tc.ok)
			}
			if !tc.ok && !errors.Is(err, ErrReferenceRejected) {
				t.Fatalf("rejection %v does not wrap ErrReferenceRejected", err)
			}
			if fast := v.Verify(r, msg, tc.sig); (fast == nil) != tc.ok {
				t.Fatalf("Verifier disagrees: %v", fast)
			}
		})
	}
}
