package ring

import (
	"math/big"
	"math/rand/v2"
	"testing"

	secp "github.com/decred/dcrd/dcrec/secp256k1/v4"
)

var fieldPrime = mustBigHex("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f")

func bigOfScalar(s *secp.ModNScalar) *big.Int {
	b := s.Bytes()
	return new(big.Int).SetBytes(b[:])
}

func TestGLVConstants(t *testing.T) {
	n := curveOrder
	lambda := bigOfScalar(&glvLambda)
	if new(big.Int).Exp(lambda, big.NewInt(3), n).Cmp(big.NewInt(1)) != 0 {
		t.Fatal("λ³ ≠ 1 mod N")
	}
	beta := new(big.Int).SetBytes(glvBeta.Bytes()[:])
	if new(big.Int).Exp(beta, big.NewInt(3), fieldPrime).Cmp(big.NewInt(1)) != 0 {
		t.Fatal("β³ ≠ 1 mod p")
	}
	b1 := new(big.Int).Neg(glvNegB1)
	for _, v := range [][2]*big.Int{{glvA1, b1}, {glvA2, glvB2}} {
		s := new(big.Int).Mul(v[1], lambda)
		s.Add(s, v[0]).Mod(s, n)
		if s.Sign() != 0 {
			t.Fatalf("a + b·λ ≢ 0 for (%x, %x)", v[0], v[1])
		}
	}
	// φ(G) = (β·Gx, Gy) = λ·G.
	var g, lg secp.JacobianPoint
	var one secp.ModNScalar
	one.SetInt(1)
	secp.ScalarBaseMultNonConst(&one, &g)
	g.ToAffine()
	secp.ScalarBaseMultNonConst(&glvLambda, &lg)
	lg.ToAffine()
	var bx secp.FieldVal
	bx.Mul2(&g.X, &glvBeta).Normalize()
	if !bx.Equals(&lg.X) || !g.Y.Equals(&lg.Y) {
		t.Fatal("φ(G) ≠ λ·G: β and λ do not pair")
	}
}

func randScalar(rng *rand.Rand) secp.ModNScalar {
	var b [32]byte
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	var s secp.ModNScalar
	s.SetBytes(&b)
	return s
}

// edgeScalars are scalars worth checking besides random ones.
func edgeScalars() []secp.ModNScalar {
	var out []secp.ModNScalar
	for _, v := range []*big.Int{
		big.NewInt(0), big.NewInt(1), big.NewInt(2), big.NewInt(15), big.NewInt(16), big.NewInt(17),
		new(big.Int).Sub(curveOrder, big.NewInt(1)),
		new(big.Int).Rsh(curveOrder, 1),
		new(big.Int).Lsh(big.NewInt(1), 128),
		new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(1)),
		bigOfScalar(&glvLambda),
	} {
		out = append(out, scalarFromBig(v))
	}
	return out
}

func TestSplitScalar(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{30}))
	ks := edgeScalars()
	for range 2000 {
		ks = append(ks, randScalar(rng))
	}
	for _, k := range ks {
		k1, k2, neg1, neg2 := splitScalar(&k)
		v1 := new(big.Int).SetBytes(limbsToBytes(&k1)[:])
		v2 := new(big.Int).SetBytes(limbsToBytes(&k2)[:])
		if v1.BitLen() > 129 || v2.BitLen() > 129 {
			t.Fatalf("k=%v: halves of %d and %d bits", k, v1.BitLen(), v2.BitLen())
		}
		if neg1 {
			v1.Neg(v1)
		}
		if neg2 {
			v2.Neg(v2)
		}
		sum := new(big.Int).Mul(v2, bigOfScalar(&glvLambda))
		sum.Add(sum, v1).Mod(sum, curveOrder)
		if sum.Cmp(bigOfScalar(&k)) != 0 {
			t.Fatalf("k=%v: k1 + k2·λ ≠ k", k)
		}
	}
}

func TestWNAF(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{31}))
	var cases [][4]uint64
	cases = append(cases, [4]uint64{}, [4]uint64{1}, [4]uint64{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)},
		[4]uint64{0, 0, 0, 1 << 63}, [4]uint64{0xf, 0, 0, 0}, [4]uint64{0x1f})
	for range 1000 {
		cases = append(cases, [4]uint64{rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64()})
	}
	for _, k := range cases {
		for _, neg := range []bool{false, true} {
			var d wnafDigits
			n := d.set(&k, neg)
			sum := new(big.Int)
			last := -wnafWidth
			for i := n - 1; i >= 0; i-- {
				sum.Lsh(sum, 1)
				if d[i] != 0 {
					if d[i]%2 == 0 || d[i] >= 1<<(wnafWidth-1) || d[i] <= -(1<<(wnafWidth-1)) {
						t.Fatalf("bad digit %d", d[i])
					}
					if last >= 0 && last-i < wnafWidth {
						t.Fatalf("digits %d and %d too close", last, i)
					}
					last = i
					sum.Add(sum, big.NewInt(int64(d[i])))
				}
			}
			want := new(big.Int).SetBytes(limbsToBytes(&k)[:])
			if neg {
				want.Neg(want)
			}
			if sum.Cmp(want) != 0 {
				t.Fatalf("wNAF of %x (neg=%v) sums to %x", k, neg, sum)
			}
		}
	}
}

// refMul is decred's k·Q, affine.
func refMul(k *secp.ModNScalar, q *affinePoint) secp.JacobianPoint {
	var p, out secp.JacobianPoint
	p.X, p.Y = q.x, q.y
	p.Z.SetInt(1)
	secp.ScalarMultNonConst(k, &p, &out)
	return out
}

func samePoint(a, b *secp.JacobianPoint) bool {
	return a.EquivalentNonConst(b)
}

// TestCombAndGLVMatchDecred checks s·A + c·B by comb and by comb+GLV against
// decred's ScalarMultNonConst.
func TestCombAndGLVMatchDecred(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{32}))
	a, b := randomPoint(t, rng), randomPoint(t, rng)
	ta, tb := newCombTable(&a), newCombTable(&b)
	var wt wnafTable
	wt.set(&b)
	ks := edgeScalars()
	for range 200 {
		ks = append(ks, randScalar(rng))
	}
	if raceEnabled {
		ks = ks[:40]
	}
	for i, s := range ks {
		c := ks[(i*7+3)%len(ks)]
		want := refMul(&s, &a)
		cb := refMul(&c, &b)
		secp.AddNonConst(&want, &cb, &want)

		var sd, cd combDigits
		sd.set(&s)
		cd.set(&c)
		var got1, got2 secp.JacobianPoint
		combSum(&got1, ta, &sd, tb, &cd)
		combPlusGLV(&got2, ta, &sd, &wt, &c)
		if !samePoint(&got1, &want) || !samePoint(&got2, &want) {
			t.Fatalf("s=%v c=%v: comb/glv disagree with decred", s, c)
		}
		var e1, e2, w1, w2 encodedPoint
		encodePair(&got1, &got2, &e1, &e2)
		want.ToAffine()
		if want.X.IsZero() && want.Y.IsZero() {
			encodeInfinity(&w1)
		} else {
			(&affinePoint{x: want.X, y: want.Y}).encode(&w1)
		}
		w2 = w1
		if e1 != w1 || e2 != w2 {
			t.Fatalf("encodings differ: %x %x want %x", e1, e2, w1)
		}
	}
}

func TestEncodePairInfinity(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{33}))
	p := randomPoint(t, rng)
	var inf, fin secp.JacobianPoint
	fin.X, fin.Y = p.x, p.y
	fin.Z.SetInt(1)
	var want, infEnc, a, b encodedPoint
	p.encode(&want)
	encodeInfinity(&infEnc)
	for _, tc := range []struct {
		l, r         *secp.JacobianPoint
		wantL, wantR encodedPoint
	}{
		{&inf, &fin, infEnc, want},
		{&fin, &inf, want, infEnc},
		{&inf, &inf, infEnc, infEnc},
		{&fin, &fin, want, want},
	} {
		encodePair(tc.l, tc.r, &a, &b)
		if a != tc.wantL || b != tc.wantR {
			t.Fatalf("got %x %x", a, b)
		}
	}
	// go-dleq's encoding of infinity: decred's ToAffine maps Z = 0 to (0, 0).
	inf.ToAffine()
	if got := secp.NewPublicKey(&inf.X, &inf.Y).SerializeCompressed(); string(got) != string(infEnc[:]) {
		t.Fatalf("decred encodes infinity as %x, we use %x", got, infEnc)
	}
}

func randomPoint(t *testing.T, rng *rand.Rand) affinePoint {
	t.Helper()
	var p affinePoint
	if !parsePoint(newKey(rng).pub, &p) {
		t.Fatal("bad random point")
	}
	return p
}

func TestHashToCurveMatchesRingGo(t *testing.T) {
	// ring-go's hashToCurve is unexported; its key image is x·H_p(P), so a
	// ring-go signature's image pins H_p down for the signer's key.
	rng := rand.New(rand.NewChaCha8([32]byte{34}))
	v := New(Config{})
	for range 8 {
		keys := []keyPair{newKey(rng), newKey(rng)}
		sig := refSign(t, pubKeys(keys), keys[0].priv, [32]byte{})
		r, err := v.PrepareRing(pubKeys(keys))
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewSigner(r, keys[0].priv)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.KeyImage(); string(got) != string(sig[sizeLen+scalarLen:headerLen]) {
			t.Fatalf("key image %x, ring-go %x", got, sig[sizeLen+scalarLen:headerLen])
		}
	}
}
