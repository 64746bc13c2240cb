package ring

import (
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	secp "github.com/decred/dcrd/dcrec/secp256k1/v4"
	dleq "github.com/pokt-network/go-dleq/secp256k1"
)

// checkBoth asserts that this package and ring-go agree on sig and that both
// give want.
func checkBoth(t *testing.T, v *Verifier, expected [][]byte, msg [32]byte, sig []byte, want bool) {
	t.Helper()
	r, err := v.PrepareRing(expected)
	if err != nil {
		t.Fatal(err)
	}
	ours := v.Verify(r, msg, sig)
	ref := refVerify(expected, msg, sig)
	if (ours == nil) != want || ref.ok != want {
		t.Fatalf("want accepted=%v: ours=%v ring-go=%+v", want, ours, ref)
	}
}

// ring-go panics on these inputs (binary.BigEndian.Uint32 on < 4 bytes; an
// index out of range in Verify for a ring of 0). Poktroll would crash its
// handler; we reject with a reason instead.
func TestRingGoPanicsAreRejections(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{7}))
	keys := []keyPair{newKey(rng), newKey(rng)}
	v := New(Config{})
	r, err := v.PrepareRing(pubKeys(keys))
	if err != nil {
		t.Fatal(err)
	}
	zeroRing := make([]byte, headerLen)
	copy(zeroRing[sizeLen+scalarLen:], keys[0].pub) // a valid point as key image
	for _, tc := range []struct {
		name string
		sig  []byte
		want Reason
	}{
		{"empty", nil, ReasonTooShort},
		{"three bytes", []byte{0, 0, 1}, ReasonTooShort},
		{"ring of zero", zeroRing, ReasonEmptyRing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref := refVerify(pubKeys(keys), [32]byte{}, tc.sig)
			if !ref.panicked {
				t.Errorf("ring-go did not panic: %+v", ref)
			}
			got, _ := ReasonOf(v.Verify(r, [32]byte{}, tc.sig))
			if got != tc.want {
				t.Errorf("reason %v, want %v", got, tc.want)
			}
		})
	}
}

// ring-go reduces every 32-byte scalar modulo N and accepts zero scalars, so
// s_i and s_i+N are the same signature, and s_i = 0 is fine. We match that.
func TestScalarEncodingsRingGoAccepts(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{8}))
	v := New(Config{})
	sc := scenario{ring: []keyPair{newKey(rng), newKey(rng)}, signer: 0, order: []int{0, 1}, msg: randMsg(rng)}
	small := func(_ int, _, s *secp.ModNScalar) { s.SetInt(5) }
	sig := oursSign(t, v, sc, small)
	checkBoth(t, v, pubKeys(sc.ring), sc.msg, sig, true)

	// The decoy member is at position 1 (the signer is member 0).
	off := headerLen + memberLen
	plusN := new(big.Int).Add(curveOrder, big.NewInt(5)).FillBytes(make([]byte, 32))
	copy(sig[off:off+scalarLen], plusN)
	checkBoth(t, v, pubKeys(sc.ring), sc.msg, sig, true)

	zero := func(_ int, _, s *secp.ModNScalar) { s.Zero() }
	checkBoth(t, v, pubKeys(sc.ring), sc.msg, oursSign(t, v, sc, zero), true)
}

// A decoy scalar s_i = −c_i·x_i makes L_i the point at infinity, which
// go-dleq encodes as 0x02‖0^32 in the challenge; with the signer repeated in
// the ring ([A, A]) R_i is at infinity too. Both must still verify.
func TestPointAtInfinityInChallenge(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{9}))
	v := New(Config{})
	keys := []keyPair{newKey(rng), newKey(rng)}
	var xB secp.ModNScalar
	xB.SetByteSlice(keys[1].priv)
	killL := func(_ int, c, s *secp.ModNScalar) { s.Mul2(c, &xB).Negate() }
	sc := scenario{ring: keys, signer: 0, order: []int{0, 1}, msg: randMsg(rng)}
	checkBoth(t, v, pubKeys(keys), sc.msg, oursSign(t, v, sc, killL), true)

	var xA secp.ModNScalar
	xA.SetByteSlice(keys[0].priv)
	killBoth := func(_ int, c, s *secp.ModNScalar) { s.Mul2(c, &xA).Negate() }
	sc = scenario{ring: keys[:1], signer: 0, order: []int{0, 0}, msg: randMsg(rng)}
	checkBoth(t, v, pubKeys(keys[:1]), sc.msg, oursSign(t, v, sc, killBoth), true)
}

// A ring of one member: ring-go cannot sign it but verifies it.
func TestSingleMemberRing(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{10}))
	v := New(Config{})
	sc := scenario{ring: []keyPair{newKey(rng)}, signer: 0, order: []int{0}, msg: randMsg(rng)}
	sig := oursSign(t, v, sc, nil)
	checkBoth(t, v, pubKeys(sc.ring), sc.msg, sig, true)
	sig[sizeLen+3] ^= 1
	checkBoth(t, v, pubKeys(sc.ring), sc.msg, sig, false)
}

// TestHashToScalarMatchesGoDleq compares hashToScalar with go-dleq's
// HashToScalar on random inputs and on inputs that hit the left-aligned
// padding (SHA3-512 mod N < 2^248, about 1 in 256).
func TestHashToScalarMatchesGoDleq(t *testing.T) {
	curve := dleq.NewCurve()
	rng := rand.New(rand.NewChaCha8([32]byte{11}))
	paddedSeen := 0
	for i := 0; i < 300 || paddedSeen < 3; i++ {
		in := make([]byte, challengeInputLen)
		for k := range in {
			in[k] = byte(rng.Uint32())
		}
		got, padded, ok := hashToScalar(in)
		if !ok {
			t.Fatalf("overflow on %x", in)
		}
		want, err := curve.HashToScalar(in)
		if err != nil {
			t.Fatal(err)
		}
		gb := got.Bytes()
		if string(gb[:]) != string(want.Encode()) {
			t.Fatalf("input %x: got %x, go-dleq %x (padded=%v)", in, gb, want.Encode(), padded)
		}
		if padded {
			paddedSeen++
			// The quirk matters: a right-aligned reduction differs.
			canon := canonicalHashToScalar(in)
			if canon.Equals(&got) {
				t.Fatalf("padded case equals the canonical reduction for %x", in)
			}
		}
		if i > 100000 {
			t.Fatal("no padded case found")
		}
	}
}

func canonicalHashToScalar(in []byte) secp.ModNScalar {
	h := sha3Sum512(in)
	v := new(big.Int).SetBytes(h[:])
	v.Mod(v, curveOrder)
	var s secp.ModNScalar
	s.SetByteSlice(v.FillBytes(make([]byte, 32)))
	return s
}

var updateGolden = flag.Bool("ring.update", false, "rewrite testdata/padded_challenge.txt from fresh ring-go signatures")

const paddedGolden = "testdata/padded_challenge.txt"

// TestShortChallengeSignatures checks signatures whose verification takes a
// padded challenge: ring-go signatures kept in testdata (found by searching
// messages; -ring.update finds new ones) and fresh ones from our Signer. Both
// implementations must accept them, and reject them once tampered.
func TestShortChallengeSignatures(t *testing.T) {
	if *updateGolden {
		writePaddedGolden(t)
	}
	data, err := os.ReadFile(paddedGolden)
	if err != nil {
		t.Fatal(err)
	}
	v := New(Config{})
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	for _, line := range lines {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		var keys [][]byte
		for _, k := range strings.Split(f[0], ",") {
			keys = append(keys, mustHex(t, k))
		}
		msg := [32]byte(mustHex(t, f[1]))
		sig := mustHex(t, f[2])
		checkPadded(t, v, keys, msg, sig)
	}

	rng := rand.New(rand.NewChaCha8([32]byte{12}))
	keys := []keyPair{newKey(rng), newKey(rng), newKey(rng)}
	want := 2
	if raceEnabled {
		want = 1
	}
	for tries, found := 0, 0; found < want; tries++ {
		if tries > 20000 {
			t.Fatal("no padded challenge in 20000 signatures")
		}
		msg := randMsg(rng)
		sig := oursSign(t, v, scenario{ring: keys, signer: tries % 3, order: []int{0, 1, 2}, msg: msg}, nil)
		if paddedCount(t, v, pubKeys(keys), msg, sig) > 0 {
			found++
			checkPadded(t, v, pubKeys(keys), msg, sig)
		}
	}
}

func paddedCount(t *testing.T, v *Verifier, keys [][]byte, msg [32]byte, sig []byte) uint64 {
	t.Helper()
	r, err := v.PrepareRing(keys)
	if err != nil {
		t.Fatal(err)
	}
	before := v.Stats().PaddedChallenges
	if err := v.Verify(r, msg, sig); err != nil {
		t.Fatalf("valid signature rejected: %v", err)
	}
	return v.Stats().PaddedChallenges - before
}

func checkPadded(t *testing.T, v *Verifier, keys [][]byte, msg [32]byte, sig []byte) {
	t.Helper()
	if paddedCount(t, v, keys, msg, sig) == 0 {
		t.Fatalf("signature %x takes no padded challenge", sig)
	}
	checkBoth(t, v, keys, msg, sig, true)
	bad := append([]byte(nil), sig...)
	bad[sizeLen+31] ^= 0x80
	checkBoth(t, v, keys, msg, bad, false)
	wrong := msg
	wrong[0] ^= 1
	checkBoth(t, v, keys, wrong, sig, false)
}

func writePaddedGolden(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{uint8(time.Now().UnixNano())}))
	v := New(Config{})
	var b strings.Builder
	b.WriteString("# ring-go v0.2.0 signatures whose verification takes go-dleq's left-aligned\n")
	b.WriteString("# HashToScalar path. Fields: comma-separated ring keys, message, signature (hex).\n")
	for size := 2; size <= 3; size++ {
		keys := make([]keyPair, size)
		for i := range keys {
			keys[i] = newKey(rng)
		}
		for {
			msg := randMsg(rng)
			sig := refSign(t, pubKeys(keys), keys[rng.IntN(size)].priv, msg)
			if paddedCount(t, v, pubKeys(keys), msg, sig) == 0 {
				continue
			}
			var ks []string
			for _, k := range pubKeys(keys) {
				ks = append(ks, hex.EncodeToString(k))
			}
			fmt.Fprintf(&b, "%s %x %x\n", strings.Join(ks, ","), msg, sig)
			break
		}
	}
	if err := os.WriteFile(paddedGolden, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTrailingBytesAccepted(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{13}))
	v := New(Config{})
	sc := scenario{ring: []keyPair{newKey(rng), newKey(rng)}, signer: 1, order: []int{0, 1}, msg: randMsg(rng)}
	sig := append(oursSign(t, v, sc, nil), 0xde, 0xad)
	checkBoth(t, v, pubKeys(sc.ring), sc.msg, sig, true)
	binary.BigEndian.PutUint32(sig, 1) // now a 1-member ring with garbage after it
	checkBoth(t, v, pubKeys(sc.ring), sc.msg, sig, false)
}
