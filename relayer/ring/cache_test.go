package ring

import (
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
)

func TestPrepareRingCachesBySet(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{40}))
	a, b, c := newKey(rng).pub, newKey(rng).pub, newKey(rng).pub
	v := New(Config{CacheEntries: 2})
	r1, err := v.PrepareRing([][]byte{a, b})
	if err != nil {
		t.Fatal(err)
	}
	// Same set in another order, with a repeat: the same prepared ring.
	r2, err := v.PrepareRing([][]byte{b, a, b})
	if err != nil {
		t.Fatal(err)
	}
	if r1 != r2 || r1.Size() != 2 || !r1.Contains(a) || r1.Contains(c) || r1.Contains(a[:5]) {
		t.Fatalf("r1=%p r2=%p size=%d", r1, r2, r1.Size())
	}
	if st := v.Stats(); st.RingCacheHits != 1 || st.RingCacheMisses != 1 || st.RingCacheEntries != 1 {
		t.Fatalf("stats %+v", st)
	}
	// Fill past capacity: {a,b} is least recently used once {a,c} and {b,c}
	// are added, so it is evicted.
	for _, keys := range [][][]byte{{a, c}, {b, c}} {
		if _, err := v.PrepareRing(keys); err != nil {
			t.Fatal(err)
		}
	}
	if st := v.Stats(); st.RingCacheEvictions != 1 || st.RingCacheEntries != 2 {
		t.Fatalf("stats %+v", st)
	}
	r3, err := v.PrepareRing([][]byte{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if r3 == r1 || r3.ID() != r1.ID() {
		t.Fatal("evicted ring should be rebuilt with the same ID")
	}
	m := r1.Members()
	if len(m) != 2 || string(m[0]) > string(m[1]) {
		t.Fatal("members not sorted")
	}
}

func TestPrepareRingErrors(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{41}))
	good := newKey(rng).pub
	offCurve := append([]byte{0x02}, make([]byte, 32)...)
	offCurve[32] = 5
	v := New(Config{})
	for _, tc := range []struct {
		name string
		keys [][]byte
		want error
	}{
		{"no keys", nil, ErrEmptyRing},
		{"short key", [][]byte{good, good[:32]}, ErrBadPublicKey},
		{"uncompressed prefix", [][]byte{append([]byte{0x04}, good[1:]...)}, ErrBadPublicKey},
		{"off curve", [][]byte{good, offCurve}, ErrBadPublicKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := v.PrepareRing(tc.keys); !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
	if n := v.Stats().RingCacheEntries; n != 0 {
		t.Fatalf("failed builds left %d cache entries", n)
	}
}

// Concurrent PrepareRing calls for one new ring share a single build, and
// concurrent verifications of a ring are safe (run with -race).
func TestConcurrentUse(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{42}))
	keys := []keyPair{newKey(rng), newKey(rng), newKey(rng)}
	msg := randMsg(rng)
	v := New(Config{})
	var wg sync.WaitGroup
	rings := make([]*Ring, 8)
	for i := range rings {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := v.PrepareRing(pubKeys(keys))
			if err != nil {
				t.Error(err)
				return
			}
			rings[i] = r
		}()
	}
	wg.Wait()
	for _, r := range rings[1:] {
		if r != rings[0] {
			t.Fatal("concurrent PrepareRing built more than one ring")
		}
	}
	signers := make([]*Signer, len(keys))
	for i, k := range keys {
		s, err := NewSigner(rings[0], k.priv)
		if err != nil {
			t.Fatal(err)
		}
		signers[i] = s
	}
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				sig, err := signers[i%len(signers)].Sign(msg)
				if err != nil {
					t.Error(err)
					return
				}
				if err := v.Verify(rings[0], msg, sig); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if n := len(*rings[0].images.Load()); n != len(keys) {
		t.Fatalf("%d cached key images, want %d", n, len(keys))
	}
	if st := v.Stats(); st.ImageTables == 0 || st.ImageTables > uint64(len(keys)) {
		t.Fatalf("image tables built: %d", st.ImageTables)
	}
}
