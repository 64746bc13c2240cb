package ring

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// fuzzRing is the fixed expected ring of FuzzVerify: an app, a gateway and
// the placeholder key, from a fixed seed so the seed corpus stays valid.
func fuzzRing() []keyPair {
	rng := rand.New(rand.NewChaCha8([32]byte{'f', 'u', 'z', 'z'}))
	return []keyPair{newKey(rng), newKey(rng), {priv: placeholderPrivKey(), pub: pubOf(placeholderPrivKey())}}
}

var fuzzMsg = [32]byte{'r', 'e', 'l', 'a', 'y'}

// FuzzVerify feeds arbitrary signatures (and messages) to the parser and
// verifier: it must never panic, must reject only with an *Error, and must
// accept exactly what ring-go accepts for the same expected ring.
func FuzzVerify(f *testing.F) {
	if *updateGolden {
		writeFuzzSeeds(f)
	}
	keys := fuzzRing()
	expected := pubKeys(keys)
	v := New(Config{})
	r, err := v.PrepareRing(expected)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(fuzzMsg[:], []byte{})
	f.Fuzz(func(t *testing.T, msg, sig []byte) {
		var m [32]byte
		copy(m[:], msg)
		err := v.Verify(r, m, sig)
		if err != nil {
			if _, ok := ReasonOf(err); !ok {
				t.Fatalf("rejection without a reason: %v", err)
			}
		}
		ref := refVerify(expected, m, sig)
		if (err == nil) != ref.ok {
			t.Fatalf("ours=%v ring-go=%+v", err, ref)
		}
	})
}

// writeFuzzSeeds (run with -ring.update) regenerates testdata/fuzz/FuzzVerify.
func writeFuzzSeeds(f *testing.F) {
	keys := fuzzRing()
	v := New(Config{})
	seeds := map[string][]byte{}
	sc := scenario{ring: keys, order: []int{0, 1, 2}, msg: fuzzMsg}
	for i := range keys {
		sc.signer = i
		seeds[fmt.Sprintf("valid-ours-signer%d", i)] = oursSign(f, v, sc, nil)
	}
	seeds["valid-ring-go"] = refSign(f, pubKeys(keys), keys[0].priv, fuzzMsg)
	seeds["valid-app-app"] = oursSign(f, v, scenario{ring: keys, signer: 0, order: []int{0, 0}, msg: fuzzMsg}, nil)
	seeds["valid-app-placeholder"] = oursSign(f, v, scenario{ring: keys, signer: 0, order: []int{2, 0}, msg: fuzzMsg}, nil)
	valid := seeds["valid-ring-go"]
	zero := append([]byte(nil), valid[:headerLen]...)
	binary.BigEndian.PutUint32(zero, 0)
	seeds["ring-of-zero"] = zero
	seeds["truncated"] = valid[:len(valid)-1]
	seeds["short"] = valid[:3]
	big := append([]byte(nil), valid...)
	binary.BigEndian.PutUint32(big, 1<<32-1)
	seeds["huge-size"] = big

	dir := filepath.Join("testdata", "fuzz", "FuzzVerify")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		f.Fatal(err)
	}
	for name, sig := range seeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n[]byte(%q)\n", fuzzMsg[:], sig)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			f.Fatal(err)
		}
	}
}
