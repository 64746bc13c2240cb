package relayer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/relayer/ring"
	tiltbackend "github.com/shannon-ops/pocket-relay-miner/tilt/backend"
	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// tiltWS serves the test backend (tilt/backend) and returns its ws URL for path.
func tiltWS(t *testing.T, path string) string {
	t.Helper()
	s, err := tiltbackend.New(tiltbackend.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { _ = s.Close(); ts.Close() })
	return "ws" + strings.TrimPrefix(ts.URL, "http") + path
}

// recordingWS is a WebSocket backend that records every message it receives and echoes it.
type recordingWS struct {
	mu    sync.Mutex
	conns int
	msgs  [][]byte
	wg    sync.WaitGroup
	url   string
}

func newRecordingWS(t *testing.T) *recordingWS {
	t.Helper()
	rb := &recordingWS{}
	up := websocket.Upgrader{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		rb.wg.Add(1)
		defer rb.wg.Done()
		defer c.Close()
		rb.mu.Lock()
		rb.conns++
		rb.mu.Unlock()
		for {
			mt, b, err := c.ReadMessage()
			if err != nil {
				return
			}
			rb.mu.Lock()
			rb.msgs = append(rb.msgs, b)
			rb.mu.Unlock()
			if c.WriteMessage(mt, b) != nil {
				return
			}
		}
	}))
	t.Cleanup(func() { ts.CloseClientConnections(); ts.Close(); rb.wg.Wait() })
	rb.url = "ws" + strings.TrimPrefix(ts.URL, "http")
	return rb
}

func (rb *recordingWS) seen() (conns int, msgs [][]byte) {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	return rb.conns, append([][]byte(nil), rb.msgs...)
}

// withWebSocket rebuilds the fixture's server with a websocket backend at url.
func withWebSocket(t testing.TB, url string, opts ...fixtureOption) *fixture {
	t.Helper()
	return withWebSocketBackend(t, &config.Backend{URL: config.Secret(url)}, opts...)
}

// withWebSocketBackend rebuilds the fixture's server with bc as its websocket backend.
func withWebSocketBackend(t testing.TB, bc *config.Backend, opts ...fixtureOption) *fixture {
	t.Helper()
	f := newFixture(t, opts...)
	f.cfg.Services[testService].Backends[config.RPCWebSocket] = bc
	f.reg = prometheus.NewRegistry()
	srv, err := New(f.cfg, Deps{
		Chain: f.chain, Heights: f.heights, Verifier: ring.New(ring.Config{}), Meter: f.meter, Publisher: f.pub,
		Keys: keyStore{f.sup: f.signer, f.other: &countingSigner{key: f.otherSupKey}},
		Backends: map[string]map[config.RPCType]Backend{testService: {
			config.RPCJSONRPC: f.backend, config.RPCREST: f.backend, config.RPCWebSocket: f.backend}},
		Registerer: f.reg, Log: zerolog.Nop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	t.Cleanup(srv.Close)
	return f
}

// relayerWS serves the fixture's relayer on a loopback port.
func relayerWS(t *testing.T, f *fixture) string {
	t.Helper()
	ts := httptest.NewServer(f.srv)
	t.Cleanup(func() { f.srv.ws.shutdown(); ts.Close() })
	return "ws" + strings.TrimPrefix(ts.URL, "http")
}

func (f *fixture) wsHeaders() http.Header {
	return http.Header{"Rpc-Type": {"2"}, wsServiceHeader: {testService}, wsAppHeader: {f.app}}
}

// dialRelayer opens a WebSocket relay connection to the relayer at url.
func dialRelayer(t *testing.T, url string, h http.Header) *websocket.Conn {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.DialContext(t.Context(), url, h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial relayer: %v (HTTP %d)", err, status)
	}
	_ = resp.Body.Close()
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// frame builds a ring-signed RelayRequest whose payload is the raw backend message.
func (f *fixture) frame(payload string, mut ...func(*servicetypes.RelayRequest)) []byte {
	return f.body(f.request(func(r *servicetypes.RelayRequest) {
		r.Payload = []byte(payload)
		for _, m := range mut {
			m(r)
		}
	}))
}

// readResponse reads one RelayResponse from the relayer.
func readResponse(t *testing.T, c *websocket.Conn) *servicetypes.RelayResponse {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	mt, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	if mt != websocket.BinaryMessage {
		t.Fatalf("message type %d, want binary", mt)
	}
	resp := &servicetypes.RelayResponse{}
	if err := resp.Unmarshal(b); err != nil {
		t.Fatalf("decode response: %v", err)
	}
	return resp
}

// readClose reads until the relayer closes the connection and returns the close code.
func readClose(t *testing.T, c *websocket.Conn) int {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		t.Fatalf("read: %v, want a close frame", err)
	}
}

func (f *fixture) verifySigned(t *testing.T, resp *servicetypes.RelayResponse, payload string) {
	t.Helper()
	if resp.RelayMinerError != nil {
		t.Fatalf("relay_miner_error: %+v", resp.RelayMinerError)
	}
	if err := resp.VerifySupplierOperatorSignature(f.supKey.PubKey()); err != nil {
		t.Fatalf("supplier signature: %v", err)
	}
	if sum := sha256.Sum256(resp.Payload); !bytes.Equal(resp.PayloadHash, sum[:]) {
		t.Fatal("payload_hash is not sha256(payload)")
	}
	if payload != "" && string(resp.Payload) != payload {
		t.Fatalf("payload %q, want %q", resp.Payload, payload)
	}
	if *resp.Meta.SessionHeader != f.header {
		t.Fatalf("response header %+v", resp.Meta.SessionHeader)
	}
}

func (f *fixture) waitPublished(t *testing.T, n int) []transport.Message {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for len(f.pub.relays()) < n {
		select {
		case <-f.pub.added:
		case <-deadline.C:
			t.Fatalf("%d relays published, want %d", len(f.pub.relays()), n)
		}
	}
	return f.pub.relays()
}

func TestWebSocketRelayEcho(t *testing.T) {
	f := withWebSocket(t, tiltWS(t, "/ws"))
	c := dialRelayer(t, relayerWS(t, f), f.wsHeaders())
	const n = 5
	for i := range n {
		payload := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"eth_blockNumber","params":[]}`, i)
		if err := c.WriteMessage(websocket.TextMessage, f.frame(payload)); err != nil {
			t.Fatal(err)
		}
		f.verifySigned(t, readResponse(t, c), payload)
	}
	got := f.waitPublished(t, n)
	if len(got) != n {
		t.Fatalf("%d relays published, want %d", len(got), n)
	}
	for _, m := range got {
		if m.Supplier != f.sup || m.SessionID != f.header.SessionId || m.ServiceID != testService || m.Application != f.app ||
			m.ComputeUnitsPerRelay != 7 || m.VerifyHash() != nil {
			t.Fatalf("published relay %+v", m)
		}
		var relay servicetypes.Relay
		if err := relay.Unmarshal(m.Relay); err != nil {
			t.Fatal(err)
		}
		if err := relay.Res.VerifySupplierOperatorSignature(f.supKey.PubKey()); err != nil {
			t.Fatalf("mined response does not verify: %v", err)
		}
	}
	if s := f.signer.n.Load(); s != n {
		t.Fatalf("%d signatures for %d relays", s, n)
	}
	m := f.srv.ws.metrics[testService]
	if counterValue(m.relays) != n || counterValue(m.messages[wsRequest]) != n || counterValue(m.messages[wsResponse]) != n {
		t.Fatal("websocket counters")
	}
	if gaugeValue(m.conns) != 1 {
		t.Fatalf("connections gauge %v, want 1", gaugeValue(m.conns))
	}
	_ = c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	f.srv.ws.shutdown()
	if gaugeValue(m.conns) != 0 {
		t.Fatal("connections gauge not back to 0")
	}
}

func TestWebSocketRelaySubscription(t *testing.T) {
	f := withWebSocket(t, tiltWS(t, "/ws?count=3&interval=1ms"))
	c := dialRelayer(t, relayerWS(t, f), f.wsHeaders())
	if err := c.WriteMessage(websocket.TextMessage, f.frame(`{"jsonrpc":"2.0","id":5,"method":"eth_subscribe","params":["newHeads"]}`)); err != nil {
		t.Fatal(err)
	}
	for range 4 { // the subscription id, then three notifications
		f.verifySigned(t, readResponse(t, c), "")
	}
	f.waitPublished(t, 4)
	f.srv.ws.shutdown()
	f.drain()
	if consumed, _ := f.meter.state(); consumed != 4 {
		t.Fatalf("meter charged %d relays, want 4 (one per response)", consumed)
	}
}

func TestWebSocketUpgradeRefusedBeforeUpgrade(t *testing.T) {
	rb := newRecordingWS(t)
	f := withWebSocket(t, rb.url)
	url := relayerWS(t, f)
	foreign := f.chain.session
	foreign.Suppliers = []*sharedtypes.Supplier{{OperatorAddress: addr(key("somebody-else"))}}
	for _, tc := range []struct {
		name   string
		mut    func(h http.Header)
		setup  func() func()
		status int
		reason reason
	}{
		{"unknown service", func(h http.Header) { h.Set(wsServiceHeader, "nope") }, nil, 404, reasonUnknownService},
		{"no app", func(h http.Header) { h.Del(wsAppHeader) }, nil, 400, reasonInvalidRequest},
		{"app without session", func(h http.Header) { h.Set(wsAppHeader, f.gw) }, nil, 403, reasonInvalidSession},
		{"foreign supplier", nil, func() func() {
			old := f.chain.session
			f.chain.session = foreign
			return func() { f.chain.session = old }
		}, 403, reasonSupplierNotInSession},
		{"no height", nil, func() func() { f.heights.h.Store(0); return func() { f.heights.h.Store(5) } }, 503, reasonNotReady},
		{"claim window open", nil, func() func() {
			f.heights.h.Store(sharedtypes.GetClaimWindowOpenHeight(&f.chain.params, 10))
			return func() { f.heights.h.Store(5) }
		}, 403, reasonInvalidSession},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := f.wsHeaders()
			if tc.mut != nil {
				tc.mut(h)
			}
			if tc.setup != nil {
				defer tc.setup()()
			}
			svc := testService
			if tc.reason == reasonUnknownService {
				svc = unknownServiceLabel
			}
			before := f.rejected(svc, tc.reason)
			c, resp, err := websocket.DefaultDialer.DialContext(t.Context(), url, h)
			if err == nil {
				c.Close()
				t.Fatal("upgraded")
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("HTTP %d, want %d", resp.StatusCode, tc.status)
			}
			var er servicetypes.RelayResponse
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(resp.Body)
			if err := er.Unmarshal(buf.Bytes()); err != nil || er.RelayMinerError == nil {
				t.Fatalf("body is not an error RelayResponse: %v", err)
			}
			if f.rejected(svc, tc.reason) != before+1 {
				t.Fatalf("rejected{%s} not counted once", tc.reason)
			}
		})
	}
	if conns, _ := rb.seen(); conns != 0 {
		t.Fatalf("backend dialed %d times for refused upgrades", conns)
	}
}

func TestWebSocketNonRelayFrameRefused(t *testing.T) {
	rb := newRecordingWS(t)
	f := withWebSocket(t, rb.url)
	url := relayerWS(t, f)

	// A frame that fails validation (signed outside the app's ring) is answered with an error
	// and not forwarded; the connection stays usable.
	c := dialRelayer(t, url, f.wsHeaders())
	bad := f.body(f.request(func(r *servicetypes.RelayRequest) { r.Payload = []byte("forged") }, key("intruder")))
	if err := c.WriteMessage(websocket.BinaryMessage, bad); err != nil {
		t.Fatal(err)
	}
	if resp := readResponse(t, c); resp.RelayMinerError == nil || resp.RelayMinerError.Codespace != "rings" {
		t.Fatalf("want a rings error, got %+v", resp.RelayMinerError)
	}
	if err := c.WriteMessage(websocket.TextMessage, f.frame("ok")); err != nil {
		t.Fatal(err)
	}
	f.verifySigned(t, readResponse(t, c), "ok")

	// A frame that is not a RelayRequest: error reply, close 1008, never forwarded.
	raw := `{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}`
	if err := c.WriteMessage(websocket.TextMessage, []byte(raw)); err != nil {
		t.Fatal(err)
	}
	if resp := readResponse(t, c); resp.RelayMinerError == nil || resp.RelayMinerError.Code != errProxyUnmarshal.code {
		t.Fatalf("want an unmarshal error, got %+v", resp.RelayMinerError)
	}
	if code := readClose(t, c); code != websocket.ClosePolicyViolation {
		t.Fatalf("close code %d, want %d", code, websocket.ClosePolicyViolation)
	}
	f.srv.ws.shutdown()
	_, msgs := rb.seen()
	if len(msgs) != 1 || string(msgs[0]) != "ok" {
		t.Fatalf("backend saw %q, want only the valid payload", msgs)
	}
	if f.rejected(testService, reasonMalformed) != 1 || f.rejected(testService, reasonBadSignature) != 1 {
		t.Fatal("rejections not counted")
	}
}

func TestWebSocketOversizedFrame(t *testing.T) {
	rb := newRecordingWS(t)
	f := withWebSocket(t, rb.url)
	c := dialRelayer(t, relayerWS(t, f), f.wsHeaders())
	big := f.frame(strings.Repeat("x", int(f.srv.services[testService].maxBody)))
	_ = c.WriteMessage(websocket.BinaryMessage, big)
	if code := readClose(t, c); code != websocket.CloseMessageTooBig {
		t.Fatalf("close code %d, want %d", code, websocket.CloseMessageTooBig)
	}
	f.srv.ws.shutdown()
	if _, msgs := rb.seen(); len(msgs) != 0 {
		t.Fatal("oversized frame reached the backend")
	}
	if f.rejected(testService, reasonBodyTooLarge) != 1 {
		t.Fatal("body_too_large not counted")
	}
}

func TestWebSocketClosesWhenClaimWindowOpens(t *testing.T) {
	f := withWebSocket(t, tiltWS(t, "/ws"))
	c := dialRelayer(t, relayerWS(t, f), f.wsHeaders())
	if err := c.WriteMessage(websocket.TextMessage, f.frame("a")); err != nil {
		t.Fatal(err)
	}
	f.verifySigned(t, readResponse(t, c), "a")
	open := sharedtypes.GetClaimWindowOpenHeight(&f.chain.params, f.header.SessionEndBlockHeight)
	f.heights.h.Store(open - 1)
	f.srv.housekeeping()
	if err := c.WriteMessage(websocket.TextMessage, f.frame("b")); err != nil { // still open
		t.Fatal(err)
	}
	f.verifySigned(t, readResponse(t, c), "b")
	f.heights.h.Store(open)
	f.srv.housekeeping()
	if code := readClose(t, c); code != websocket.CloseNormalClosure {
		t.Fatalf("close code %d, want %d", code, websocket.CloseNormalClosure)
	}
}

func TestWebSocketShutdownClosesHijackedConnections(t *testing.T) {
	f := withWebSocket(t, tiltWS(t, "/ws"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.srv.Serve(ctx, ln) }()
	c := dialRelayer(t, "ws://"+ln.Addr().String(), f.wsHeaders())
	if err := c.WriteMessage(websocket.TextMessage, f.frame("a")); err != nil {
		t.Fatal(err)
	}
	f.verifySigned(t, readResponse(t, c), "a")
	cancel()
	if code := readClose(t, c); code != websocket.CloseGoingAway {
		t.Fatalf("close code %d, want %d", code, websocket.CloseGoingAway)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(f.pub.relays()) != 1 {
		t.Fatal("the relay served before shutdown was not published")
	}
}

func TestWebSocketOptimisticInvalidNeverMined(t *testing.T) {
	rb := newRecordingWS(t)
	f := withWebSocket(t, rb.url, optimistic)
	c := dialRelayer(t, relayerWS(t, f), f.wsHeaders())
	if err := c.WriteMessage(websocket.BinaryMessage, f.frame("good")); err != nil { // opens the backend
		t.Fatal(err)
	}
	f.verifySigned(t, readResponse(t, c), "good")
	bad := f.body(f.request(func(r *servicetypes.RelayRequest) { r.Payload = []byte("forged") }, key("intruder")))
	if err := c.WriteMessage(websocket.BinaryMessage, bad); err != nil {
		t.Fatal(err)
	}
	readResponse(t, c) // optimistic: forwarded and answered, validated afterwards
	f.srv.ws.shutdown()
	f.drain()
	if f.postOutcome(outcomeInvalid) != 1 || f.postOutcome(outcomeMined) != 1 || len(f.pub.relays()) != 1 {
		t.Fatalf("invalid %v mined %v", f.postOutcome(outcomeInvalid), f.postOutcome(outcomeMined))
	}
}

func gaugeValue(g prometheus.Gauge) float64 {
	var m = new(dto.Metric)
	if err := g.Write(m); err != nil {
		panic(err)
	}
	return m.GetGauge().GetValue()
}

// An eager request's meter charge pays for the response that answers it: it is neither
// refunded when the request is admitted nor charged again after the response.
func TestWebSocketEagerChargeUsedByResponse(t *testing.T) {
	f := withWebSocket(t, tiltWS(t, "/ws"))
	c := dialRelayer(t, relayerWS(t, f), f.wsHeaders())
	for i, payload := range []string{"a", "b"} {
		if err := c.WriteMessage(websocket.TextMessage, f.frame(payload)); err != nil {
			t.Fatal(err)
		}
		f.verifySigned(t, readResponse(t, c), payload)
		f.settle()
		if consumed, refunds := f.meter.state(); consumed != i+1 || refunds != 0 {
			t.Fatalf("after %d relays the meter holds %d charges after %d refunds, want %d and 0", i+1, consumed, refunds, i+1)
		}
	}
}

// The upgrade carries no signature, so the backend is dialled only for the first relay request
// that authenticates (eager and optimistic services alike): an upgrade naming any public
// application address, or frames that fail validation, never open a backend connection.
func TestWebSocketNoBackendBeforeAuthentication(t *testing.T) {
	for _, mode := range []struct {
		name string
		opts []fixtureOption
	}{{"eager", nil}, {"optimistic", []fixtureOption{optimistic}}} {
		t.Run(mode.name, func(t *testing.T) {
			rb := newRecordingWS(t)
			f := withWebSocket(t, rb.url, mode.opts...)
			c := dialRelayer(t, relayerWS(t, f), f.wsHeaders())
			if conns, _ := rb.seen(); conns != 0 {
				t.Fatalf("the upgrade alone dialled the backend %d times", conns)
			}
			bad := f.body(f.request(func(r *servicetypes.RelayRequest) { r.Payload = []byte("forged") }, key("intruder")))
			if err := c.WriteMessage(websocket.BinaryMessage, bad); err != nil {
				t.Fatal(err)
			}
			if resp := readResponse(t, c); resp.RelayMinerError == nil || resp.RelayMinerError.Codespace != "rings" {
				t.Fatalf("want a rings error for an unauthenticated first frame, got %+v", resp.RelayMinerError)
			}
			if conns, msgs := rb.seen(); conns != 0 || len(msgs) != 0 {
				t.Fatalf("an unauthenticated frame dialled the backend (%d connections, %d messages)", conns, len(msgs))
			}
			if err := c.WriteMessage(websocket.TextMessage, f.frame("ok")); err != nil {
				t.Fatal(err)
			}
			f.verifySigned(t, readResponse(t, c), "ok")
			if conns, msgs := rb.seen(); conns != 1 || len(msgs) != 1 || string(msgs[0]) != "ok" {
				t.Fatalf("after the first valid frame the backend saw %d connections and %q", conns, msgs)
			}
			f.srv.ws.shutdown()
		})
	}
}

// A backend that cannot be dialled for the first authenticated request is answered with an
// error RelayResponse (backend_error) and the connection is closed with 1013 (try again later);
// the eager meter charge of that request is given back.
func TestWebSocketBackendUnreachableAfterUpgrade(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "ws://" + ln.Addr().String() + "/ws"
	_ = ln.Close()
	f := withWebSocket(t, dead)
	c := dialRelayer(t, relayerWS(t, f), f.wsHeaders())
	before := f.rejected(testService, reasonBackendError)
	if err := c.WriteMessage(websocket.TextMessage, f.frame("a")); err != nil {
		t.Fatal(err)
	}
	if resp := readResponse(t, c); resp.RelayMinerError == nil {
		t.Fatal("want an error RelayResponse for an unreachable backend")
	}
	if code := readClose(t, c); code != websocket.CloseTryAgainLater {
		t.Fatalf("close code %d, want %d", code, websocket.CloseTryAgainLater)
	}
	if f.rejected(testService, reasonBackendError) != before+1 {
		t.Fatal("backend_error not counted once")
	}
	f.srv.ws.shutdown()
	f.drain()
	if consumed, refunds := f.meter.state(); consumed != 0 || refunds != 1 {
		t.Fatalf("meter keeps %d charges after %d refunds for a relay never served, want 0 after 1", consumed, refunds)
	}
}
