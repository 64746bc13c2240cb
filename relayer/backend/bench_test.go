package backend

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

// BenchmarkDo measures one relay through Do against a local keep-alive backend that answers a
// fixed body, by response size.
func BenchmarkDo(b *testing.B) {
	for _, size := range []int{256, 4 << 10, 64 << 10} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			body := bytes.Repeat([]byte("x"), size)
			s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Length", strconv.Itoa(len(body)))
				_, _ = w.Write(body)
			}))
			defer s.Close()
			p, err := New("svc", config.RPCJSONRPC, backendCfg(s.URL+"/v1"), zerolog.Nop(), NewMetrics(prometheus.NewRegistry()))
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			req := postReq("/", `{"jsonrpc":"2.0","method":"eth_blockNumber","params":[],"id":1}`)
			h := Headers{Supplier: "pokt1supplier", Application: "pokt1app"}
			var out []byte
			b.ReportAllocs()
			b.SetBytes(int64(size))
			b.ResetTimer()
			for b.Loop() {
				res, err := p.Do(context.Background(), req, h)
				if err != nil {
					b.Fatal(err)
				}
				out = res.AppendPOKT(out[:0])
				res.Release()
			}
		})
	}
}

// cannedRT answers every request with the same response without any I/O, to measure the
// pool's own overhead.
type cannedRT struct{ body []byte }

func (c cannedRT) RoundTrip(r *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, r.Body)
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(c.body)), ContentLength: int64(len(c.body))}, nil
}

func overheadPool(tb testing.TB) *Pool {
	p, err := New("svc", config.RPCJSONRPC, backendCfg("http://backend.invalid/v1"), zerolog.Nop(), NewMetrics(prometheus.NewRegistry()))
	if err != nil {
		tb.Fatal(err)
	}
	p.eps[0].rt = cannedRT{body: bytes.Repeat([]byte("x"), 1024)}
	return p
}

// BenchmarkDoOverhead is Do without the network: request rebuild, selection, breaker,
// metrics, pooled body read and POKT encoding.
func BenchmarkDoOverhead(b *testing.B) {
	p := overheadPool(b)
	req := postReq("/", `{"jsonrpc":"2.0","method":"eth_blockNumber","params":[],"id":1}`)
	h := Headers{Supplier: "pokt1supplier", Application: "pokt1app"}
	var out []byte
	b.ReportAllocs()
	for b.Loop() {
		res, err := p.Do(context.Background(), req, h)
		if err != nil {
			b.Fatal(err)
		}
		out = res.AppendPOKT(out[:0])
		res.Release()
	}
}
