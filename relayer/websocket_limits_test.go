package relayer

import (
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/relayer/backend"
)

// A backend message is bounded by the websocket backend's max_response_bytes: one at the
// limit is signed and mined; a larger one is refused as an oversized HTTP answer is
// (relayer_proxy internal error, rejected as backend_error), never signed nor mined, its meter
// charge given back, and the bridge closes.
func TestWebSocketBackendMessageOverMaxResponse(t *testing.T) {
	const limit = 1 << 10
	f := withWebSocketBackend(t, &config.Backend{URL: config.Secret(tiltWS(t, "/ws")), MaxResponseBytes: limit})
	c := dialRelayer(t, relayerWS(t, f), f.wsHeaders())

	atLimit := strings.Repeat("a", limit)
	if err := c.WriteMessage(websocket.TextMessage, f.frame(atLimit)); err != nil {
		t.Fatal(err)
	}
	f.verifySigned(t, readResponse(t, c), atLimit)

	over := strings.Repeat("b", limit+1) // under the service's max_body_bytes: the gateway side admits it
	if err := c.WriteMessage(websocket.TextMessage, f.frame(over)); err != nil {
		t.Fatal(err)
	}
	resp := readResponse(t, c)
	if e := resp.RelayMinerError; e == nil || e.Codespace != errProxyInternal.codespace || e.Code != errProxyInternal.code {
		t.Fatalf("want the relayer_proxy internal error, got %+v", e)
	}
	if len(resp.Meta.SupplierOperatorSignature) != 0 || strings.Contains(string(resp.Payload), over) {
		t.Fatal("the oversized message was signed or forwarded")
	}
	if !strings.Contains(resp.RelayMinerError.Message, string(backend.ReasonTooLarge)) {
		t.Fatalf("message %q does not name %s", resp.RelayMinerError.Message, backend.ReasonTooLarge)
	}
	if *resp.Meta.SessionHeader != f.header {
		t.Fatalf("error reply header %+v", resp.Meta.SessionHeader)
	}
	if code := readClose(t, c); code != websocket.CloseGoingAway {
		t.Fatalf("close code %d, want %d", code, websocket.CloseGoingAway)
	}
	f.srv.ws.shutdown()
	f.drain()
	if got := f.rejected(testService, reasonBackendError); got != 1 {
		t.Fatalf("rejected{backend_error} = %v, want 1", got)
	}
	if n := f.signer.n.Load(); n != 1 {
		t.Fatalf("%d signatures, want 1 (the message at the limit)", n)
	}
	if got := len(f.pub.relays()); got != 1 {
		t.Fatalf("%d relays published, want 1", got)
	}
	if consumed, refunds := f.meter.state(); consumed != 1 || refunds != 1 {
		t.Fatalf("meter holds %d charges after %d refunds, want 1 and 1", consumed, refunds)
	}
}

// Without max_response_bytes (a config not built by config.LoadRelayer) the backend read limit
// is the config default.
func TestWebSocketBackendReadLimitDefault(t *testing.T) {
	f := withWebSocket(t, "ws://127.0.0.1:1")
	if got := f.srv.services[testService].maxResponse(config.RPCWebSocket); got != int64(config.DefaultMaxResponseBytes) {
		t.Fatalf("websocket read limit %d, want %d", got, config.DefaultMaxResponseBytes)
	}
}
