package relayer

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sdktypes "github.com/pokt-network/shannon-sdk/types"

	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/relayer/backend"
)

// bytesRequest asks the test backend for n bytes of application/octet-stream; with accept set
// the relay may stream, so it takes the streaming path and finds a plain body there.
func bytesRequest(n int, accept string) *sdktypes.POKTHTTPRequest {
	hr := &sdktypes.POKTHTTPRequest{Method: "GET", Url: "http://gateway/bytes/" + strconv.Itoa(n)}
	if accept != "" {
		hr.Header = map[string]*sdktypes.Header{"Accept": {Key: "Accept", Values: []string{accept}}}
	}
	return hr
}

// readRelayResponse reads one RelayResponse answer.
func readRelayResponse(t *testing.T, tf *tiltFixture, body []byte, rpcType string) *servicetypes.RelayResponse {
	t.Helper()
	res := tf.post(context.Background(), body, rpcType)
	defer res.Body.Close()
	bz, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	resp := &servicetypes.RelayResponse{}
	if err := resp.Unmarshal(bz); err != nil {
		t.Fatalf("decode answer: %v", err)
	}
	return resp
}

// A body that is not a stream, on the streaming path, is bounded by its backend's
// max_response_bytes exactly as on the synchronous path: at the limit it is signed and
// served; over it both paths refuse it the same way (relayer_proxy internal error naming
// backend_response_too_large, counted once as backend_error) and never forward it.
func TestNonStreamBodyOverMaxResponse(t *testing.T) {
	const limit = 1 << 10
	for _, tc := range []struct{ name, accept string }{
		{"synchronous", ""},
		{"streaming path", "text/event-stream"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tf := newTiltFixtureMaxResp(t, limit)
			resp := readRelayResponse(t, tf, tf.httpRequest(bytesRequest(limit, tc.accept)), "4")
			if p := tf.verified(resp); p.StatusCode != 200 || len(p.BodyBz) != limit {
				t.Fatalf("answer at the limit: %d, %d bytes", p.StatusCode, len(p.BodyBz))
			}

			resp = readRelayResponse(t, tf, tf.httpRequest(bytesRequest(limit+1, tc.accept)), "4")
			e := resp.RelayMinerError
			if e == nil || e.Codespace != errProxyInternal.codespace || e.Code != errProxyInternal.code {
				t.Fatalf("want the relayer_proxy internal error, got %+v", e)
			}
			if !strings.Contains(e.Message, string(backend.ReasonTooLarge)) {
				t.Fatalf("message %q does not name %s", e.Message, backend.ReasonTooLarge)
			}
			if len(resp.Meta.SupplierOperatorSignature) != 0 || len(resp.Payload) > limit {
				t.Fatal("the oversized body was signed or forwarded")
			}
			if got := tf.rejected(testService, reasonBackendError); got != 1 {
				t.Fatalf("rejected{backend_error} = %v, want 1", got)
			}
			tf.waitPublished(1) // only the answer at the limit
			if consumed, refunds := tf.meter.state(); consumed != 1 || refunds != 1 {
				t.Fatalf("meter holds %d charges after %d refunds, want 1 and 1", consumed, refunds)
			}
		})
	}
}

// A streamed answer is bounded by the smaller of transports.streaming.max_bytes and its
// backend's max_response_bytes: its first frames are out before its size is known, so past
// the bound it is cut and mined as cut.
func TestStreamCutAtMaxResponse(t *testing.T) {
	const limit = 100
	tf := newTiltFixtureMaxResp(t, limit)
	res := tf.post(context.Background(), tf.httpRequest(sseRequest("count=40&interval=1ms")), "3")
	defer res.Body.Close()
	fr := &frameReader{r: res.Body}
	var got strings.Builder
	for {
		frame, err := fr.next()
		if err != nil {
			t.Fatal(err)
		}
		if frame == nil {
			break
		}
		got.Write(tf.verifiedFrame(frame).BodyBz)
	}
	want := sseEvents(40)[:limit]
	if got.String() != want {
		t.Fatalf("stream\n%q\nwant\n%q", got.String(), want)
	}
	tf.waitPublished(1)
	assertMinedBody(t, tf, want)
}

// The limit of a relay is that of the backend route picks: by Rpc-Type, else the fallback's.
func TestResponseLimitFollowsRoute(t *testing.T) {
	f := newFixture(t, func(f *fixture) {
		f.cfg.Services[testService].Backends[config.RPCJSONRPC].MaxResponseBytes = 1 << 10
		f.cfg.Services[testService].Backends[config.RPCREST].MaxResponseBytes = 2 << 10
	})
	svc := f.srv.services[testService]
	for _, tc := range []struct {
		header string
		want   int64
	}{{"", 1 << 10}, {"3", 1 << 10}, {"4", 2 << 10}} {
		h := http.Header{}
		if tc.header != "" {
			h.Set(rpcTypeHeader, tc.header)
		}
		if got := svc.maxResponse(svc.routedType(h)); got != tc.want {
			t.Errorf("Rpc-Type %q: limit %d, want %d", tc.header, got, tc.want)
		}
	}
	if got := svc.maxResponse(config.RPCGRPC); got != int64(config.DefaultMaxResponseBytes) {
		t.Errorf("no grpc backend: limit %d, want the default", got)
	}
}
