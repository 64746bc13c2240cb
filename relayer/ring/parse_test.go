package ring

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"
)

func TestVerifyRejectReasons(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{20}))
	keys := []keyPair{newKey(rng), newKey(rng)}
	foreign := newKey(rng).pub
	v := New(Config{})
	r, err := v.PrepareRing(pubKeys(keys))
	if err != nil {
		t.Fatal(err)
	}
	msg := randMsg(rng)
	s, err := NewSigner(r, keys[0].priv)
	if err != nil {
		t.Fatal(err)
	}
	valid, err := s.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	key0 := headerLen + scalarLen // first member's key
	image := sizeLen + scalarLen  // key image
	xTooBig := append([]byte{0x02}, bytes.Repeat([]byte{0xff}, 32)...)
	offCurve := append([]byte{0x02}, make([]byte, 32)...)
	offCurve[32] = 5 // x = 5: 5³+7 = 132 is not a square mod p
	with := func(off int, b []byte) []byte {
		out := append([]byte(nil), valid...)
		copy(out[off:], b)
		return out
	}
	size := func(n uint32) []byte {
		out := append([]byte(nil), valid...)
		binary.BigEndian.PutUint32(out, n)
		return out
	}

	for _, tc := range []struct {
		name string
		cfg  Config
		ring *Ring
		sig  []byte
		want Reason
	}{
		{name: "valid", sig: valid},
		{name: "nil ring", ring: nilRing, sig: valid, want: ReasonNoRing},
		{name: "empty", sig: nil, want: ReasonTooShort},
		{name: "size only", sig: valid[:sizeLen], want: ReasonTooShort},
		{name: "header only", sig: valid[:headerLen], want: ReasonTooShort},
		{name: "one byte short", sig: valid[:len(valid)-1], want: ReasonTooShort},
		{name: "size zero", sig: size(0), want: ReasonEmptyRing},
		{name: "size 2^32-1", sig: size(1<<32 - 1), want: ReasonTooShort},
		{name: "size over limit", cfg: Config{MaxSignatureMembers: 1}, sig: valid, want: ReasonTooManyMembers},
		{name: "size within limit", cfg: Config{MaxSignatureMembers: 2}, sig: valid},
		{name: "key prefix 04", sig: with(key0, []byte{0x04}), want: ReasonBadMemberKey},
		{name: "key x >= p", sig: with(key0, xTooBig), want: ReasonBadMemberKey},
		{name: "key off curve", sig: with(key0, offCurve), want: ReasonBadMemberKey},
		{name: "key not in ring", sig: with(key0, foreign), want: ReasonKeyNotInRing},
		{name: "image prefix 00", sig: with(image, []byte{0x00}), want: ReasonBadKeyImage},
		{name: "image off curve", sig: with(image, offCurve), want: ReasonBadKeyImage},
		{name: "image of another key", sig: with(image, foreign), want: ReasonInvalidSignature},
		{name: "c flipped", sig: with(sizeLen, []byte{valid[sizeLen] ^ 1}), want: ReasonInvalidSignature},
		{name: "size one, valid prefix", sig: size(1), want: ReasonInvalidSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vv := New(tc.cfg)
			ring := tc.ring
			if ring == nil {
				if ring, err = vv.PrepareRing(pubKeys(keys)); err != nil {
					t.Fatal(err)
				}
			} else if ring == nilRing {
				ring = nil
			}
			err := vv.Verify(ring, msg, tc.sig)
			got, ok := ReasonOf(err)
			if tc.want == 0 {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			if !ok || got != tc.want {
				t.Fatalf("got %v (%v), want %v", got, err, tc.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.Error() == "" {
				t.Fatalf("not an *Error: %T", err)
			}
		})
	}
}

// nilRing marks a test case that passes a nil *Ring.
var nilRing = new(Ring)

func TestReasonLabels(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Reasons() {
		l := r.String()
		if l == "" || seen[l] {
			t.Fatalf("reason %d: empty or duplicate label %q", r, l)
		}
		seen[l] = true
	}
	if len(seen) != int(reasonEnd)-1 {
		t.Fatalf("Reasons() lists %d of %d", len(seen), reasonEnd-1)
	}
	if Reason(0).String() != "reason(0)" || reasonEnd.String() == "" {
		t.Fatal("out-of-range reasons need a placeholder label")
	}
	if _, ok := ReasonOf(errors.New("other")); ok {
		t.Fatal("ReasonOf accepted a foreign error")
	}
}
