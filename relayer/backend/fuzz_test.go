package backend

import (
	"context"
	"strings"
	"testing"

	sdktypes "github.com/pokt-network/shannon-sdk/types"
)

// FuzzRebuild feeds untrusted POKTHTTPRequest fields to the request rebuild: it must never
// panic, and the rebuilt path must stay under the endpoint's base path.
func FuzzRebuild(f *testing.F) {
	for _, s := range [][4]string{
		{"POST", "/", "Content-Type", "application/json"},
		{"GET", "http://gw/a/../../b?x=1&key=2", "X-A", "b"},
		{"", "/a%2Fb/../c/", "pocket-supplier", "spoof"},
		{"PUT", "//evil.example/x", "Host", "evil"},
		{"G T", "http://[::1", "", ""},
		{"GET", "/%zz", "Transfer-Encoding", "chunked"},
		{"GET", "/x?key=evil&%zz&a=1", "X", "y"},
	} {
		f.Add(s[0], s[1], s[2], s[3], []byte("body"))
	}
	p, err := New("svc", "jsonrpc", backendCfg("http://backend.invalid/base?key=k"), zeroLog(), nil)
	if err != nil {
		f.Fatal(err)
	}
	ep := p.eps[0]
	f.Fuzz(func(t *testing.T, method, url, hk, hv string, body []byte) {
		in := &sdktypes.POKTHTTPRequest{Method: method, Url: url, BodyBz: body,
			Header: map[string]*sdktypes.Header{hk: {Key: hk, Values: []string{hv}}}}
		r, err := p.parseInbound(in, Headers{Supplier: "s"})
		if err != nil {
			return
		}
		req := ep.newRequest(context.Background(), r, p.header(ep, r, 1))
		if req.URL.Host != "backend.invalid" || !strings.HasPrefix(req.URL.Path, "/base") {
			t.Fatalf("escaped the base: %q %q", req.URL.Host, req.URL.Path)
		}
		if q := req.URL.Query(); len(q["key"]) != 1 || q.Get("key") != "k" {
			t.Fatalf("configured query overridden: %q", req.URL.RawQuery)
		}
		if req.Header.Get("Pocket-Supplier") != "s" || req.Header.Get("Host") != "" {
			t.Fatalf("headers: %v", req.Header)
		}
		if req.ContentLength != int64(len(body)) {
			t.Fatalf("content length %d for %d bytes", req.ContentLength, len(body))
		}
	})
}
