package ring

import (
	"sync"

	secp "github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// Fixed-base combs (Lim–Lee, one table). A scalar k is read as combSpacing
// columns of combTeeth bits each; column i holds bits i, i+d, i+2d, … of k
// (d = combSpacing). With T[b] = Σ_{j ∈ b} 2^(j·d)·Q precomputed for every
// non-empty tooth set b,
//
//	k·Q = Σ_{i<d} 2^i · T[column_i(k)],
//
// which a left-to-right loop evaluates with d−1 doublings and at most d mixed
// additions. Several combs with the same spacing share the doublings, so
// s·G + c·P costs d−1 doublings and ≤ 2d additions.
const (
	combTeeth   = 7
	combSpacing = (256 + combTeeth - 1) / combTeeth
	combEntries = 1<<combTeeth - 1
)

// combTable holds T[1..2^teeth−1] (index b−1) in affine form.
type combTable [combEntries]affinePoint

// combDigits holds the column indices of one scalar.
type combDigits [combSpacing]uint8

func (d *combDigits) set(k *secp.ModNScalar) {
	kb := k.Bytes()
	l := limbsFromBytes(&kb)
	for i := range combSpacing {
		var idx uint8
		for j := range combTeeth {
			if pos := i + j*combSpacing; pos < 256 {
				idx |= uint8(l[pos>>6]>>(pos&63)&1) << j
			}
		}
		d[i] = idx
	}
}

// newCombTable precomputes the comb table of the affine point q.
func newCombTable(q *affinePoint) *combTable {
	jac := make([]secp.JacobianPoint, combEntries)
	var base secp.JacobianPoint
	base.X, base.Y = q.x, q.y
	base.Z.SetInt(1)
	for j := range combTeeth {
		if j > 0 {
			for range combSpacing {
				secp.DoubleNonConst(&base, &base)
			}
		}
		bit := 1 << j
		jac[bit-1] = base
		for b := 1; b < bit; b++ {
			secp.AddNonConst(&jac[b-1], &base, &jac[bit+b-1])
		}
	}
	t := new(combTable)
	toAffineBatch(jac, t[:], make([]secp.FieldVal, len(jac)))
	return t
}

// baseComb is the comb table of the generator G. It is a constant, computed
// on first use.
var baseComb = sync.OnceValue(func() *combTable {
	var g secp.JacobianPoint
	var one secp.ModNScalar
	one.SetInt(1)
	secp.ScalarBaseMultNonConst(&one, &g)
	g.ToAffine()
	return newCombTable(&affinePoint{x: g.X, y: g.Y})
})

// combSum sets acc = Σ_t k_t·Q_t over the (table, digits) pairs given, all
// sharing one doubling chain.
func combSum(acc *secp.JacobianPoint, t1 *combTable, d1 *combDigits, t2 *combTable, d2 *combDigits) {
	acc.X.Zero()
	acc.Y.Zero()
	acc.Z.Zero()
	for i := combSpacing - 1; i >= 0; i-- {
		secp.DoubleNonConst(acc, acc)
		if b := d1[i]; b != 0 {
			addAffine(acc, &t1[b-1])
		}
		if t2 != nil {
			if b := d2[i]; b != 0 {
				addAffine(acc, &t2[b-1])
			}
		}
	}
}

// addAffine sets acc = acc + p.
func addAffine(acc *secp.JacobianPoint, p *affinePoint) {
	var q secp.JacobianPoint
	q.X, q.Y = p.x, p.y
	q.Z.SetInt(1)
	secp.AddNonConst(acc, &q, acc)
}

// subAffine sets acc = acc − p.
func subAffine(acc *secp.JacobianPoint, p *affinePoint) {
	var q secp.JacobianPoint
	q.X = p.x
	q.Y.NegateVal(&p.y, 1).Normalize()
	q.Z.SetInt(1)
	secp.AddNonConst(acc, &q, acc)
}

// toAffineBatch converts Jacobian points (none at infinity) to affine with a
// single field inversion (Montgomery's trick). scratch needs len(in) entries.
func toAffineBatch(in []secp.JacobianPoint, out []affinePoint, scratch []secp.FieldVal) {
	n := len(in)
	scratch[0] = in[0].Z
	for i := 1; i < n; i++ {
		scratch[i].Mul2(&scratch[i-1], &in[i].Z)
	}
	var inv secp.FieldVal
	inv.Set(&scratch[n-1]).Inverse()
	for i := n - 1; i >= 0; i-- {
		var zi secp.FieldVal
		if i > 0 {
			zi.Mul2(&inv, &scratch[i-1]) // 1/Z_i
			inv.Mul(&in[i].Z)            // 1/(Z_0…Z_{i−1})
		} else {
			zi = inv
		}
		affineFrom(&in[i], &zi, &out[i])
	}
}

// affineFrom sets out = (X/Z², Y/Z³) given zInv = 1/Z.
func affineFrom(p *secp.JacobianPoint, zInv *secp.FieldVal, out *affinePoint) {
	var z2 secp.FieldVal
	z2.SquareVal(zInv)
	out.x.Mul2(&p.X, &z2).Normalize()
	z2.Mul(zInv)
	out.y.Mul2(&p.Y, &z2).Normalize()
}

// encodePair writes the compressed encodings of two Jacobian points using one
// shared inversion; a point at infinity gets go-dleq's infinity encoding.
func encodePair(l, r *secp.JacobianPoint, le, re *encodedPoint) {
	lInf, rInf := l.Z.IsZero(), r.Z.IsZero()
	var a affinePoint
	switch {
	case lInf && rInf:
		encodeInfinity(le)
		encodeInfinity(re)
	case lInf:
		encodeInfinity(le)
		encodeOne(r, re)
	case rInf:
		encodeOne(l, le)
		encodeInfinity(re)
	default:
		var inv, zi secp.FieldVal
		inv.Mul2(&l.Z, &r.Z).Inverse()
		zi.Mul2(&inv, &r.Z)
		affineFrom(l, &zi, &a)
		a.encode(le)
		zi.Mul2(&inv, &l.Z)
		affineFrom(r, &zi, &a)
		a.encode(re)
	}
}

func encodeOne(p *secp.JacobianPoint, dst *encodedPoint) {
	var zi secp.FieldVal
	zi.Set(&p.Z).Inverse()
	var a affinePoint
	affineFrom(p, &zi, &a)
	a.encode(dst)
}

// Width-w NAF for the variable base (the key image when it has no comb yet).
// Digits are odd in (−2^(w−1), 2^(w−1)); the table holds the odd multiples
// 1·Q, 3·Q, …, (2^(w−1)−1)·Q and the same for φ(Q).
const (
	wnafWidth = 5
	wnafSize  = 1 << (wnafWidth - 2)
	// wnafMaxLen covers a 256-bit magnitude plus a final carry digit.
	wnafMaxLen = 256 + wnafWidth + 1
)

type wnafDigits [wnafMaxLen]int8

// set writes the width-w NAF of the magnitude k (negated when neg) and
// returns the number of digit positions used.
func (d *wnafDigits) set(k *[4]uint64, neg bool) int {
	var carry uint64
	n, bit := 0, 0
	for bit < 256 {
		if bitsAt(k, bit, 1) == carry {
			// 0+0 or 1+carry: a zero digit, the carry (if any) moves up.
			bit++
			continue
		}
		word := bitsAt(k, bit, wnafWidth) + carry
		carry = word >> (wnafWidth - 1) & 1
		digit := int8(word) - int8(carry<<wnafWidth)
		if neg {
			digit = -digit
		}
		d[bit] = digit
		n = bit + 1
		bit += wnafWidth
	}
	if carry != 0 {
		// A pending +1 at position bit (≤ 255 + wnafWidth).
		d[bit] = 1
		if neg {
			d[bit] = -1
		}
		n = bit + 1
	}
	return n
}

// bitsAt returns w (≤ 32) bits of k starting at bit pos; bits past 255 are 0.
func bitsAt(k *[4]uint64, pos, w int) uint64 {
	if pos >= 256 {
		return 0
	}
	limb, off := pos>>6, uint(pos&63)
	v := k[limb] >> off
	if off+uint(w) > 64 && limb < 3 {
		v |= k[limb+1] << (64 - off)
	}
	return v & (1<<uint(w) - 1)
}

// wnafTable holds the odd multiples of Q and of φ(Q) in affine form.
type wnafTable struct {
	p, phi [wnafSize]affinePoint
}

func (t *wnafTable) set(q *affinePoint) {
	var jac [wnafSize]secp.JacobianPoint
	var twice secp.JacobianPoint
	jac[0].X, jac[0].Y = q.x, q.y
	jac[0].Z.SetInt(1)
	secp.DoubleNonConst(&jac[0], &twice)
	for i := 1; i < wnafSize; i++ {
		secp.AddNonConst(&jac[i-1], &twice, &jac[i])
	}
	var scratch [wnafSize]secp.FieldVal
	toAffineBatch(jac[:], t.p[:], scratch[:])
	for i := range t.p {
		t.phi[i].x.Mul2(&t.p[i].x, &glvBeta).Normalize()
		t.phi[i].y = t.p[i].y
	}
}

// addDigit adds digit·Q (digit odd, possibly negative) from the table row.
func addDigit(acc *secp.JacobianPoint, row *[wnafSize]affinePoint, digit int8) {
	if digit > 0 {
		addAffine(acc, &row[digit>>1])
	} else {
		subAffine(acc, &row[(-digit)>>1])
	}
}

// combPlusGLV sets acc = s·H + k·Q, the first term by comb, the second through
// the endomorphism split k ≡ k1 + k2·λ and width-w NAF digits of k1, k2.
func combPlusGLV(acc *secp.JacobianPoint, h *combTable, sd *combDigits, q *wnafTable, k *secp.ModNScalar) {
	k1, k2, neg1, neg2 := splitScalar(k)
	var d1, d2 wnafDigits
	top := max(d1.set(&k1, neg1), d2.set(&k2, neg2), combSpacing)
	acc.X.Zero()
	acc.Y.Zero()
	acc.Z.Zero()
	for i := top - 1; i >= 0; i-- {
		secp.DoubleNonConst(acc, acc)
		if i < combSpacing {
			if b := sd[i]; b != 0 {
				addAffine(acc, &h[b-1])
			}
		}
		if dg := d1[i]; dg != 0 {
			addDigit(acc, &q.p, dg)
		}
		if dg := d2[i]; dg != 0 {
			addDigit(acc, &q.phi, dg)
		}
	}
}
