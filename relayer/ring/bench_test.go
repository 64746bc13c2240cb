package ring

import (
	"fmt"
	"math/rand/v2"
	"testing"

	dleqtypes "github.com/pokt-network/go-dleq/types"
	ringgo "github.com/pokt-network/ring-go"
)

var benchSizes = []int{2, 4, 8}

type benchFixture struct {
	keys []keyPair
	msgs [][32]byte
	sigs [][]byte // ring-go signatures by keys[0], one per message
}

func newBenchFixture(b *testing.B, size, nsigs int) *benchFixture {
	b.Helper()
	rng := rand.New(rand.NewChaCha8([32]byte{byte(size)}))
	f := &benchFixture{keys: make([]keyPair, size)}
	for i := range f.keys {
		f.keys[i] = newKey(rng)
	}
	for range nsigs {
		m := randMsg(rng)
		f.msgs = append(f.msgs, m)
		f.sigs = append(f.sigs, refSign(b, pubKeys(f.keys), f.keys[0].priv, m))
	}
	return f
}

// BenchmarkVerify compares, per ring size, ring-go (Deserialize + Verify, the
// reference path without the subset check) with this package on a warm ring:
// "warm" has the signer's key image table cached (the steady state for a
// gateway sending many relays), "new-image" is the first signature of a
// signer for an already prepared ring.
func BenchmarkVerify(b *testing.B) {
	for _, size := range benchSizes {
		f := newBenchFixture(b, size, 8)
		b.Run(fmt.Sprintf("size=%d/impl=ring-go", size), func(b *testing.B) {
			curve := ringgo.Secp256k1()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				rs := new(ringgo.RingSig)
				if err := rs.Deserialize(curve, f.sigs[i%8]); err != nil || !rs.Verify(f.msgs[i%8]) {
					b.Fatal("ring-go rejected")
				}
				i++
			}
		})
		b.Run(fmt.Sprintf("size=%d/impl=ours-warm", size), func(b *testing.B) {
			v := New(Config{})
			r, err := v.PrepareRing(pubKeys(f.keys))
			if err != nil {
				b.Fatal(err)
			}
			for i := range 2 { // the second valid signature builds the image table
				if err := v.Verify(r, f.msgs[i], f.sigs[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := v.Verify(r, f.msgs[i%8], f.sigs[i%8]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run(fmt.Sprintf("size=%d/impl=ours-new-image", size), func(b *testing.B) {
			v := New(Config{})
			r, err := v.PrepareRing(pubKeys(f.keys))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				// A ring with an empty image cache for every iteration.
				fresh := &Ring{id: r.id, members: r.members, index: r.index}
				fresh.images.Store(new([]*imageEntry))
				if err := v.Verify(fresh, f.msgs[i%8], f.sigs[i%8]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkPrepareRing is the cold cost: building a ring's tables on a cache
// miss, then the first verification.
func BenchmarkPrepareRing(b *testing.B) {
	for _, size := range benchSizes {
		f := newBenchFixture(b, size, 1)
		keys := pubKeys(f.keys)
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v := New(Config{CacheEntries: 1})
				r, err := v.PrepareRing(keys)
				if err != nil {
					b.Fatal(err)
				}
				if err := v.Verify(r, f.msgs[0], f.sigs[0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSign compares ring-go's Sign (+ Serialize) with our Signer.
func BenchmarkSign(b *testing.B) {
	for _, size := range benchSizes {
		f := newBenchFixture(b, size, 0)
		msg := [32]byte{1}
		b.Run(fmt.Sprintf("size=%d/impl=ring-go", size), func(b *testing.B) {
			curve := ringgo.Secp256k1()
			pts := make([]dleqtypes.Point, size)
			for i, k := range f.keys {
				var err error
				if pts[i], err = curve.DecodeToPoint(k.pub); err != nil {
					b.Fatal(err)
				}
			}
			r, err := ringgo.NewFixedKeyRingFromPublicKeys(curve, pts)
			if err != nil {
				b.Fatal(err)
			}
			x, err := curve.DecodeToScalar(f.keys[0].priv)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				sig, err := r.Sign(msg, x)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := sig.Serialize(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("size=%d/impl=ours", size), func(b *testing.B) {
			v := New(Config{})
			r, err := v.PrepareRing(pubKeys(f.keys))
			if err != nil {
				b.Fatal(err)
			}
			s, err := NewSigner(r, f.keys[0].priv)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Sign(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
