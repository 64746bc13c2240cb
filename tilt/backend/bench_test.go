package backend

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"testing"
)

// discardWriter is a minimal http.ResponseWriter that drops what it is given, so the handler
// benchmark measures the handler alone.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

const benchCall = `{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}`

// BenchmarkJSONRPCHandler measures the JSON-RPC handler without the network.
func BenchmarkJSONRPCHandler(b *testing.B) {
	for _, size := range []int{0, 1024, 64 << 10} {
		b.Run("size="+strconv.Itoa(size), func(b *testing.B) {
			s, err := New(Config{Size: size})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			h := s.Handler()
			body := bytes.NewReader(nil)
			req, _ := http.NewRequest(http.MethodPost, "/", body)
			w := &discardWriter{h: make(http.Header)}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				body.Reset([]byte(benchCall))
				req.Body = io.NopCloser(body)
				clear(w.h)
				h.ServeHTTP(w, req)
			}
		})
	}
}

// BenchmarkJSONRPCLoopback measures full HTTP/1.1 round trips over loopback with parallel
// keep-alive clients; ns/op is the server's cost per request as seen by the clients.
func BenchmarkJSONRPCLoopback(b *testing.B) {
	s, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ts := newBenchServer(b, s)
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := c.Post(ts, "application/json", bytes.NewReader([]byte(benchCall)))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}
