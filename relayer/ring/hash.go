package ring

import (
	"crypto/sha3"
	"encoding/hex"

	secp "github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// Sizes of the encodings used on the wire and in the challenge hash.
const (
	scalarLen = 32
	pointLen  = 33
	// challengeInputLen is len(msg) + len(enc(L)) + len(enc(R)).
	challengeInputLen = 32 + pointLen + pointLen
	// hashToCurveTries is ring-go's try-and-increment bound.
	hashToCurveTries = 128
)

// twoPow256ModN is 2^256 mod N (= 2^256 − N, 129 bits), used to fold the high
// half of a 512-bit hash into the low half without math/big.
var twoPow256ModN = mustScalarHex("000000000000000000000000000000014551231950b75fc4402da1732fc9bebf")

// hashToScalar reproduces go-dleq's HashToScalar for its default (decred)
// secp256k1 backend, bit for bit:
//
//	h := SHA3-512(in)                  // 64 bytes, read big-endian
//	v := h mod N                       // as a minimal big-endian byte string
//	buf := [32]byte{}; copy(buf, v)    // LEFT-aligned when len(v) < 32
//	return buf as a scalar
//
// When v has leading zero bytes (v < 2^248, about 1 in 256 hashes) the copy
// shifts it left by 8 bits per missing byte, so the scalar is v·2^(8z), not v.
// go-dleq panics if that shifted value is ≥ N; ok is false in that case.
// padded reports that the shift happened.
func hashToScalar(in []byte) (s secp.ModNScalar, padded, ok bool) {
	h := sha3.Sum512(in)
	var hi, lo [32]byte
	copy(hi[:], h[:32])
	copy(lo[:], h[32:])

	// v = hi·2^256 + lo ≡ (hi mod N)·(2^256 mod N) + (lo mod N)  (mod N).
	var v, low secp.ModNScalar
	v.SetBytes(&hi)
	v.Mul(&twoPow256ModN)
	low.SetBytes(&lo)
	v.Add(&low)

	b := v.Bytes()
	z := 0
	for z < len(b) && b[z] == 0 {
		z++
	}
	if z == 0 || z == len(b) {
		return v, false, true
	}
	var aligned [32]byte
	copy(aligned[:], b[z:])
	if s.SetBytes(&aligned) != 0 {
		return s, true, false
	}
	return s, true, true
}

// challenge computes c = hashToScalar(msg || enc(L) || enc(R)) with the
// compressed encodings of the affine points L and R (ring-go's challenge).
func challenge(msg *[32]byte, l, r *encodedPoint) (c secp.ModNScalar, padded, ok bool) {
	var buf [challengeInputLen]byte
	copy(buf[:32], msg[:])
	copy(buf[32:32+pointLen], l[:])
	copy(buf[32+pointLen:], r[:])
	return hashToScalar(buf[:])
}

// encodedPoint is a 33-byte compressed point encoding.
type encodedPoint = [pointLen]byte

// affinePoint is a point with Z = 1; both coordinates are normalized. The
// point at infinity is never stored in this form.
type affinePoint struct {
	x, y secp.FieldVal
}

// encode writes the compressed encoding go-dleq produces: 0x02|0x03 by the
// parity of y, then x big-endian.
func (p *affinePoint) encode(dst *encodedPoint) {
	dst[0] = 0x02
	if p.y.IsOdd() {
		dst[0] = 0x03
	}
	p.x.PutBytesUnchecked(dst[1:])
}

// encodeInfinity writes go-dleq's encoding of the point at infinity: decred's
// ToAffine turns Z = 0 into the pair (0, 0), which serializes as 0x02 || 0^32.
func encodeInfinity(dst *encodedPoint) {
	*dst = encodedPoint{0x02}
}

// parsePoint decodes a 33-byte compressed point with the same acceptance rule
// as decred's ParsePubKey (which go-dleq's DecodeToPoint uses): prefix 0x02 or
// 0x03, x < p, and x³+7 a square.
func parsePoint(b []byte, out *affinePoint) bool {
	if len(b) != pointLen || (b[0] != 0x02 && b[0] != 0x03) {
		return false
	}
	if overflow := out.x.SetByteSlice(b[1:]); overflow {
		return false
	}
	return secp.DecompressY(&out.x, b[0] == 0x03, &out.y)
}

// hashToCurve reproduces ring-go's secp256k1 hash-to-curve H_p(P): SHA3-256 of
// the compressed key, then, up to 128 times, take the digest as x and pick the
// even y if x³+7 is a square; otherwise hash the digest again.
//
// A digest ≥ p (odds 2^-224 per try) is used modulo p here; ring-go keeps it
// unreduced, which decred's arithmetic treats as the same field element.
func hashToCurve(key *encodedPoint) (affinePoint, bool) {
	var p affinePoint
	h := sha3.Sum256(key[:])
	for range hashToCurveTries {
		p.x.SetBytes(&h)
		if secp.DecompressY(&p.x, false, &p.y) {
			p.x.Normalize()
			return p, true
		}
		h = sha3.Sum256(h[:])
	}
	return p, false
}

func mustScalarHex(s string) secp.ModNScalar {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		panic("ring: bad scalar constant " + s)
	}
	var v secp.ModNScalar
	if v.SetByteSlice(b) {
		panic("ring: scalar constant overflows " + s)
	}
	return v
}

func mustFieldHex(s string) secp.FieldVal {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		panic("ring: bad field constant " + s)
	}
	var v secp.FieldVal
	if v.SetByteSlice(b) {
		panic("ring: field constant overflows " + s)
	}
	return v
}
