package ring

import (
	"encoding/binary"
	"encoding/hex"
	"flag"
	"maps"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	secp "github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// -ring.cases (or RING_CASES) sets how many signature comparisons
// TestDifferential makes; the default keeps `go test -race` fast.
var ringCases = flag.Int("ring.cases", 0, "signature comparisons in TestDifferential (default 400, 80 under -race, or $RING_CASES)")

func differentialCases() int {
	if *ringCases > 0 {
		return *ringCases
	}
	if n, err := strconv.Atoi(os.Getenv("RING_CASES")); err == nil && n > 0 {
		return n
	}
	if raceEnabled {
		return 80
	}
	return 400
}

// scenario is one application ring and one signature over it.
type scenario struct {
	ring   []keyPair // the expected ring (app + gateways, or app + placeholder)
	signer int       // index in ring of the signing key
	order  []int     // members embedded in the signature, by index in ring
	msg    [32]byte
	sig    []byte
	by     string // "ring-go" or "ours"
}

// variant is one (expected ring, message, signature) comparison.
type variant struct {
	name     string
	expected [][]byte
	msg      [32]byte
	sig      []byte
}

// newScenario makes the k-th scenario; k cycles the kinds so that even a
// short run covers the placeholder ring and the [app, app] signature.
func newScenario(t testing.TB, rng *rand.Rand, v *Verifier, k int) scenario {
	var sc scenario
	kind := k % 10
	switch {
	case kind == 0: // app without gateways: app + placeholder
		sc.ring = []keyPair{newKey(rng), {priv: placeholderPrivKey(), pub: pubOf(placeholderPrivKey())}}
	default: // app + 0..7 gateways
		sc.ring = make([]keyPair, 1+rng.IntN(8))
		for i := range sc.ring {
			sc.ring[i] = newKey(rng)
		}
	}
	sc.signer = rng.IntN(len(sc.ring))
	sc.msg = randMsg(rng)
	sc.order = rng.Perm(len(sc.ring))
	if kind == 1 {
		// An older SDK signs [app, app] when there are no gateways: the
		// embedded ring repeats a member.
		sc.order = []int{sc.signer, sc.signer}
	}
	members := make([][]byte, len(sc.order))
	for i, idx := range sc.order {
		members[i] = sc.ring[idx].pub
	}
	if len(sc.order) >= 2 && rng.IntN(2) == 0 {
		sc.by = "ring-go"
		sc.sig = refSign(t, members, sc.ring[sc.signer].priv, sc.msg)
		return sc
	}
	sc.by = "ours"
	sc.sig = oursSign(t, v, sc, nil)
	return sc
}

// oursSign signs the scenario with this package's Signer, members in
// sc.order (repeats allowed).
func oursSign(t testing.TB, v *Verifier, sc scenario, decoy func(int, *secp.ModNScalar, *secp.ModNScalar)) []byte {
	t.Helper()
	r, err := v.PrepareRing(pubKeys(sc.ring))
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(r, sc.ring[sc.signer].priv)
	if err != nil {
		t.Fatal(err)
	}
	s.decoy = decoy
	order := make([]int, len(sc.order))
	pos := -1
	for i, idx := range sc.order {
		order[i] = r.lookup((*encodedPoint)(sc.ring[idx].pub))
		if idx == sc.signer && pos < 0 {
			pos = i
		}
	}
	sig, err := s.signOrder(sc.msg, order, pos)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// variants returns the untouched signature and its tampered forms.
func (sc scenario) variants(rng *rand.Rand) []variant {
	expected := pubKeys(sc.ring)
	n := len(sc.order)
	out := []variant{{name: "valid", expected: expected, msg: sc.msg, sig: sc.sig}}
	add := func(name string, mutate func(b []byte) []byte) {
		b := mutate(append([]byte(nil), sc.sig...))
		out = append(out, variant{name: name, expected: expected, msg: sc.msg, sig: b})
	}
	flip := func(name string, off, length int) {
		add(name, func(b []byte) []byte {
			bit := rng.IntN(8 * length)
			b[off+bit/8] ^= 1 << (bit % 8)
			return b
		})
	}
	flip("flip-size", 0, sizeLen)
	flip("flip-c", sizeLen, scalarLen)
	flip("flip-image", sizeLen+scalarLen, pointLen)
	i := rng.IntN(n)
	flip("flip-s", headerLen+i*memberLen, scalarLen)
	flip("flip-key", headerLen+i*memberLen+scalarLen, pointLen)
	if n >= 2 {
		j := (i + 1 + rng.IntN(n-1)) % n
		add("swap-members", func(b []byte) []byte {
			a, c := b[headerLen+i*memberLen:][:memberLen], b[headerLen+j*memberLen:][:memberLen]
			var tmp [memberLen]byte
			copy(tmp[:], a)
			copy(a, c)
			copy(c, tmp[:])
			return b
		})
		add("swap-keys", func(b []byte) []byte {
			a, c := b[headerLen+i*memberLen+scalarLen:][:pointLen], b[headerLen+j*memberLen+scalarLen:][:pointLen]
			var tmp [pointLen]byte
			copy(tmp[:], a)
			copy(a, c)
			copy(c, tmp[:])
			return b
		})
	}
	add("truncated", func(b []byte) []byte { return b[:len(b)-1-rng.IntN(len(b)-1)] })
	add("trailing-bytes", func(b []byte) []byte { return append(b, byte(rng.Uint32()), 0, 7) })
	add("size-minus-one", func(b []byte) []byte { binary.BigEndian.PutUint32(b, uint32(n-1)); return b })
	add("size-plus-one", func(b []byte) []byte { binary.BigEndian.PutUint32(b, uint32(n+1)); return b })
	add("drop-last-member", func(b []byte) []byte {
		binary.BigEndian.PutUint32(b, uint32(n-1))
		return b[:len(b)-memberLen]
	})
	wrong := sc.msg
	wrong[rng.IntN(32)] ^= byte(1 + rng.IntN(255))
	out = append(out, variant{name: "wrong-message", expected: expected, msg: wrong, sig: sc.sig})

	other := make([][]byte, 1+rng.IntN(3))
	for k := range other {
		other[k] = newKey(rng).pub
	}
	out = append(out,
		variant{name: "wrong-ring", expected: other, msg: sc.msg, sig: sc.sig},
		variant{name: "superset-ring", expected: append(append([][]byte(nil), expected...), other...), msg: sc.msg, sig: sc.sig},
	)
	if len(expected) >= 2 {
		// The expected ring without one embedded member.
		drop := sc.order[rng.IntN(n)]
		var sub [][]byte
		for k, kp := range sc.ring {
			if k != drop {
				sub = append(sub, kp.pub)
			}
		}
		out = append(out, variant{name: "ring-missing-member", expected: sub, msg: sc.msg, sig: sc.sig})
	}
	return out
}

// compare runs one variant through both implementations.
func compare(t testing.TB, v *Verifier, vr variant) (accepted bool) {
	r, err := v.PrepareRing(vr.expected)
	if err != nil {
		t.Fatalf("%s: prepare: %v", vr.name, err)
	}
	ours := v.Verify(r, vr.msg, vr.sig)
	ref := refVerify(vr.expected, vr.msg, vr.sig)
	if (ours == nil) != ref.ok {
		t.Errorf("%s: ours=%v ring-go=%+v\nmsg=%x\nsig=%s", vr.name, ours, ref, vr.msg, hex.EncodeToString(vr.sig))
	}
	return ours == nil
}

// TestDifferential compares this package with ring-go on random rings of
// 1–8 members, app+placeholder rings and [app, app] signatures, signed by
// ring-go and by our Signer, untouched and tampered.
func TestDifferential(t *testing.T) {
	total := differentialCases()
	workers := 1
	if total > 2000 {
		workers = runtime.GOMAXPROCS(0)
	}
	var done, accepted atomic.Int64
	var mu sync.Mutex
	byName := map[string][2]int{} // name → [cases, accepted]
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewChaCha8([32]byte{byte(w), 42}))
			v := New(Config{CacheEntries: 64})
			for k := 0; done.Load() < int64(total) && !t.Failed(); k++ {
				sc := newScenario(t, rng, v, k)
				for _, vr := range sc.variants(rng) {
					ok := compare(t, v, vr)
					if d := done.Add(1); d%20000 == 0 {
						t.Logf("%d comparisons so far", d)
					}
					mu.Lock()
					e := byName[vr.name]
					e[0]++
					if ok {
						e[1]++
						accepted.Add(1)
					}
					byName[vr.name] = e
					mu.Unlock()
					if vr.name == "valid" && !ok {
						t.Errorf("valid signature by %s rejected (ring %d, order %v)", sc.by, len(sc.ring), sc.order)
					}
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d comparisons, %d accepted by both", done.Load(), accepted.Load())
	if testing.Verbose() {
		for _, name := range slices.Sorted(maps.Keys(byName)) {
			t.Logf("  %-20s %7d cases, %7d accepted", name, byName[name][0], byName[name][1])
		}
	}
}
