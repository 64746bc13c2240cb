package ring

import (
	"math/big"
	"math/bits"

	secp "github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// The GLV endomorphism of secp256k1: φ(x, y) = (β·x, y) = λ·(x, y) for every
// point, with β³ ≡ 1 (mod p) and λ³ ≡ 1 (mod N). Writing k ≡ k1 + k2·λ with
// |k1|, |k2| ≈ 2^128 halves the doublings of a variable-base multiplication.
//
// The split uses the short lattice basis (a1, b1), (a2, b2) of
// {(x, y) : x + y·λ ≡ 0 (mod N)} (Guide to ECC, algorithm 3.74):
//
//	c1 = round(b2·k / N), c2 = round(−b1·k / N)
//	k2 = −c1·b1 − c2·b2,  k1 = k − k2·λ   (mod N)
//
// The divisions are done as multiplications by g = round(2^384·b / N) and a
// rounded shift by 384 bits. Any c1, c2 give k1 + k2·λ ≡ k; the rounding only
// affects how short k1 and k2 are, and the wNAF code handles any length.
var (
	glvLambda = mustScalarHex("5363ad4cc05c30e0a5261c028812645a122e22ea20816678df02967c1b23bd72")
	glvBeta   = mustFieldHex("7ae96a2b657c07106e64479eac3434e99cf0497512f58995c1396c28719501ee")

	glvA1    = mustBigHex("3086d221a7d46bcde86c90e49284eb15")
	glvNegB1 = mustBigHex("e4437ed6010e88286f547fa90abfe4c3") // −b1; b1 itself is negative
	glvA2    = mustBigHex("114ca50f7a8e2f3f657c1108d9d44cfd8")
	glvB2    = glvA1

	glvNegB1Scalar = scalarFromBig(glvNegB1)
	glvB2Scalar    = scalarFromBig(glvB2)
	glvG1          = roundedQuotient384(glvB2)
	glvG2          = roundedQuotient384(glvNegB1)
)

// curveOrder is N, the order of the secp256k1 group.
var curveOrder = mustBigHex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")

// splitScalar returns k1, k2 with k ≡ k1 + k2·λ (mod N) as magnitudes in
// little-endian 64-bit limbs, and whether each is negative.
func splitScalar(k *secp.ModNScalar) (k1, k2 [4]uint64, neg1, neg2 bool) {
	kb := k.Bytes()
	kl := limbsFromBytes(&kb)
	c1 := mulShift384(&kl, &glvG1)
	c2 := mulShift384(&kl, &glvG2)

	var s1, s2, t secp.ModNScalar
	s1.SetBytes(limbsToBytes(&[4]uint64{c1[0], c1[1]}))
	s2.SetBytes(limbsToBytes(&[4]uint64{c2[0], c2[1]}))
	s1.Mul(&glvNegB1Scalar)  // −c1·b1
	s2.Mul(&glvB2Scalar)     // c2·b2
	s1.Add(t.NegateVal(&s2)) // k2 = −c1·b1 − c2·b2
	t.Mul2(&s1, &glvLambda)  // k2·λ
	t.Negate().Add(k)        // k1 = k − k2·λ

	if neg1 = t.IsOverHalfOrder(); neg1 {
		t.Negate()
	}
	if neg2 = s1.IsOverHalfOrder(); neg2 {
		s1.Negate()
	}
	b1, b2 := t.Bytes(), s1.Bytes()
	return limbsFromBytes(&b1), limbsFromBytes(&b2), neg1, neg2
}

// mulShift384 returns round(a·g / 2^384) for 256-bit a and g; the result fits
// in 128 bits.
func mulShift384(a, g *[4]uint64) [2]uint64 {
	var prod [8]uint64
	for i := range 4 {
		var carry uint64
		for j := range 4 {
			hi, lo := bits.Mul64(a[i], g[j])
			var c uint64
			lo, c = bits.Add64(lo, prod[i+j], 0)
			hi += c
			lo, c = bits.Add64(lo, carry, 0)
			hi += c
			prod[i+j] = lo
			carry = hi
		}
		prod[i+4] = carry
	}
	// Round: add 2^383, i.e. the top bit of limb 5, then keep limbs 6 and 7.
	round := prod[5] >> 63
	lo, c := bits.Add64(prod[6], round, 0)
	hi, _ := bits.Add64(prod[7], 0, c)
	return [2]uint64{lo, hi}
}

func limbsFromBytes(b *[32]byte) [4]uint64 {
	var l [4]uint64
	for i := range 4 {
		off := 32 - 8*(i+1)
		l[i] = uint64(b[off])<<56 | uint64(b[off+1])<<48 | uint64(b[off+2])<<40 |
			uint64(b[off+3])<<32 | uint64(b[off+4])<<24 | uint64(b[off+5])<<16 |
			uint64(b[off+6])<<8 | uint64(b[off+7])
	}
	return l
}

func limbsToBytes(l *[4]uint64) *[32]byte {
	var b [32]byte
	for i := range 4 {
		off := 32 - 8*(i+1)
		for j := range 8 {
			b[off+j] = byte(l[i] >> (56 - 8*j))
		}
	}
	return &b
}

// roundedQuotient384 returns round(2^384·b / N) as 256-bit limbs.
func roundedQuotient384(b *big.Int) [4]uint64 {
	num := new(big.Int).Lsh(b, 384)
	num.Add(num, new(big.Int).Rsh(curveOrder, 1))
	q := num.Quo(num, curveOrder)
	if q.BitLen() > 256 {
		panic("ring: GLV constant exceeds 256 bits")
	}
	var buf [32]byte
	q.FillBytes(buf[:])
	return limbsFromBytes(&buf)
}

func scalarFromBig(b *big.Int) secp.ModNScalar {
	var buf [32]byte
	b.FillBytes(buf[:])
	var s secp.ModNScalar
	s.SetBytes(&buf)
	return s
}

func mustBigHex(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("ring: bad integer constant " + s)
	}
	return v
}
