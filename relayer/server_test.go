package relayer

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"testing"

	servicetypes "github.com/pokt-network/poktroll/x/service/types"
)

// TestServeSpeaksHTTP1AndH2C sends the same relay over HTTP/1.1 and over cleartext HTTP/2
// (prior knowledge, as gRPC-style gateways connect) to one listening port.
func TestServeSpeaksHTTP1AndH2C(t *testing.T) {
	f := newFixture(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.srv.Serve(ctx, ln) }()

	var h2c http.Protocols
	h2c.SetUnencryptedHTTP2(true)
	var h1 http.Protocols
	h1.SetHTTP1(true)
	for _, tc := range []struct {
		name  string
		proto *http.Protocols
		major int
	}{{"http/1.1", &h1, 1}, {"h2c", &h2c, 2}} {
		t.Run(tc.name, func(t *testing.T) {
			tr := &http.Transport{Protocols: tc.proto}
			defer tr.CloseIdleConnections()
			resp, err := (&http.Client{Transport: tr}).Post("http://"+ln.Addr().String()+"/", "application/octet-stream",
				bytes.NewReader(f.body(f.request(nil))))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.ProtoMajor != tc.major {
				t.Fatalf("served over HTTP/%d, want HTTP/%d", resp.ProtoMajor, tc.major)
			}
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			var rr servicetypes.RelayResponse
			if err := rr.Unmarshal(b); err != nil {
				t.Fatal(err)
			}
			if rr.RelayMinerError != nil || rr.VerifySupplierOperatorSignature(f.supKey.PubKey()) != nil {
				t.Fatalf("relay not served and signed: %+v", rr.RelayMinerError)
			}
		})
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
