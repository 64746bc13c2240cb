package relayer

import (
	"bytes"
	"errors"
	"net/http"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	ringgo "github.com/pokt-network/ring-go"

	"github.com/shannon-ops/pocket-relay-miner/relayer/ring"
	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// discardWriter is a reusable ResponseWriter, so the benchmark measures the handler.
type discardWriter struct {
	h http.Header
	n int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

// rewindBody is a reusable request body.
type rewindBody struct{ bytes.Reader }

func (*rewindBody) Close() error { return nil }

// countingPublisher drops every relay after counting it.
type countingPublisher struct{ n atomic.Int64 }

func (p *countingPublisher) Enqueue(transport.Message) bool { p.n.Add(1); return true }

// fixedSigner returns a constant 64-byte signature: the signing cost excluded.
type fixedSigner struct{ n atomic.Int64 }

func (s *fixedSigner) Sign([]byte) ([]byte, error) { s.n.Add(1); return make([]byte, 64), nil }

type benchMode struct {
	name   string
	crypto bool // real ring verification and secp256k1 signing
	ringgo bool // verify with ring-go (as poktroll's relay miner does) instead of relayer/ring
}

// benchModes: "full" is the product; "full-ringgo" is the same relay verified the way the
// incumbents do (ring-go's Deserialize and Verify), so the two show relayer/ring's end-to-end
// speed-up; "no-crypto" is the handler's own cost.
var benchModes = []benchMode{{name: "full", crypto: true}, {name: "full-ringgo", crypto: true, ringgo: true}, {name: "no-crypto"}}

// ringgoVerify verifies sig with ring-go, the reference implementation relayer/ring replaces.
func ringgoVerify(_ *ring.Ring, msg [32]byte, sig []byte) error {
	rs := new(ringgo.RingSig)
	if err := rs.Deserialize(ringgo.Secp256k1(), sig); err != nil {
		return err
	}
	if !rs.Verify(msg) {
		return errors.New("ring-go: invalid signature")
	}
	return nil
}

// benchFixture is a warm relayer (session verified once) with real keys.
func benchFixture(b *testing.B, m benchMode) (*fixture, *countingPublisher, func() int64, []byte) {
	f := newFixture(b, func(f *fixture) { f.cfg.Publish.Backlog = 1 << 22 })
	pub := &countingPublisher{}
	f.srv.pub = pub
	signatures := f.signer.n.Load
	if m.ringgo {
		f.srv.v.verify = ringgoVerify
	}
	if !m.crypto {
		fs := &fixedSigner{}
		f.srv.keys = keyStore{f.sup: fs}
		f.srv.v.verify = func(*ring.Ring, [32]byte, []byte) error { return nil }
		signatures = fs.n.Load
	}
	body := f.body(f.request(nil))
	if resp, _ := f.serve(body); resp.RelayMinerError != nil { // warm the session and ring caches
		b.Fatal(resp.RelayMinerError)
	}
	return f, pub, signatures, body
}

func newBenchRequest(body []byte) (*http.Request, *rewindBody) {
	rb := &rewindBody{}
	r, _ := http.NewRequest(http.MethodPost, "http://relayer/", rb)
	r.ContentLength = int64(len(body))
	return r, rb
}

// BenchmarkServeRelay measures one relay through ServeHTTP on a warm session (fake chain and
// backend, real protobuf, hashing and — in "full" — real ring verification and secp256k1
// signing), including its post-response mining on the pool.
func BenchmarkServeRelay(b *testing.B) {
	for _, m := range benchModes {
		b.Run(m.name, func(b *testing.B) {
			f, pub, signatures, body := benchFixture(b, m)
			r, rb := newBenchRequest(body)
			w := &discardWriter{h: http.Header{}}
			before := signatures()
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for range b.N {
				rb.Reset(body)
				clear(w.h)
				f.srv.ServeHTTP(w, r)
			}
			f.srv.post.StopAndWait() // the post-response work is part of the cost
			b.StopTimer()
			reportCPU(b, cpu)
			b.ReportMetric(float64(signatures()-before)/float64(b.N), "signatures/op")
			if pub.n.Load() != int64(b.N)+1 {
				b.Fatalf("mined %d of %d relays", pub.n.Load(), b.N+1)
			}
		})
	}
}

// BenchmarkServeRelayParallel runs the eager handler on every core: relays/s is the
// throughput to compare with the ring-verification bound (cores ÷ verification time).
func BenchmarkServeRelayParallel(b *testing.B) {
	for _, m := range benchModes {
		b.Run(m.name, func(b *testing.B) {
			f, _, _, body := benchFixture(b, m)
			b.ReportAllocs()
			b.ResetTimer()
			start, cpu := time.Now(), cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				r, rb := newBenchRequest(body)
				w := &discardWriter{h: http.Header{}}
				for pb.Next() {
					rb.Reset(body)
					clear(w.h)
					f.srv.ServeHTTP(w, r)
				}
			})
			f.srv.post.StopAndWait()
			reportCPU(b, cpu)
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "relays/s")
			b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
		})
	}
}

// BenchmarkRingVerify is the bound: one ring-signature verification of a warm ring of 2.
func BenchmarkRingVerify(b *testing.B) {
	f := newFixture(b)
	req := f.request(nil)
	hash, err := req.GetSignableBytesHash()
	if err != nil {
		b.Fatal(err)
	}
	v := ring.New(ring.Config{})
	rg, err := v.PrepareRing([][]byte{f.appKey.PubKey().Bytes(), f.gwKey.PubKey().Bytes()})
	if err != nil {
		b.Fatal(err)
	}
	for range 2 { // let the ring cache the signer's key image table, as on a warm relayer
		if err := v.Verify(rg, hash, req.Meta.Signature); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for range b.N {
		if err := v.Verify(rg, hash, req.Meta.Signature); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// cpuTime is the process's user+system CPU time. On a shared machine CPU time per operation
// is far steadier than wall time, and it counts the post-response pool's work too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, since time.Duration) {
	b.ReportMetric(float64(cpuTime()-since)/float64(b.N), "cpu-ns/op")
}

// BenchmarkSign is one Cosmos secp256k1 response signature.
func BenchmarkSign(b *testing.B) {
	f := newFixture(b)
	msg := make([]byte, 32)
	b.ReportAllocs()
	for range b.N {
		if _, err := f.supKey.Sign(msg); err != nil {
			b.Fatal(err)
		}
	}
}
