package client

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cosmossecp "github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/gorilla/websocket"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	sdktypes "github.com/pokt-network/shannon-sdk/types"
	"google.golang.org/protobuf/proto"
)

// signed is a RelayResponse for h carrying payload, with payload_hash, signed by key.
func signed(t testing.TB, h *sessiontypes.SessionHeader, payload []byte, key *cosmossecp.PrivKey) *servicetypes.RelayResponse {
	t.Helper()
	resp := &servicetypes.RelayResponse{Meta: servicetypes.RelayResponseMetadata{SessionHeader: h}, Payload: payload}
	if err := resp.UpdatePayloadHash(); err != nil {
		t.Fatal(err)
	}
	hash, err := resp.GetSignableBytesHash()
	if err != nil {
		t.Fatal(err)
	}
	if resp.Meta.SupplierOperatorSignature, err = key.Sign(hash[:]); err != nil {
		t.Fatal(err)
	}
	return resp
}

func marshalResp(t testing.TB, r *servicetypes.RelayResponse) []byte {
	t.Helper()
	bz, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return bz
}

func httpPayload(t testing.TB, hr *sdktypes.POKTHTTPResponse) []byte {
	t.Helper()
	bz, err := proto.Marshal(hr)
	if err != nil {
		t.Fatal(err)
	}
	return bz
}

// readRelay decodes the RelayRequest of an HTTP relay and its POKTHTTPRequest.
func readRelay(t testing.TB, r *http.Request) (*servicetypes.RelayRequest, *sdktypes.POKTHTTPRequest) {
	body, _ := io.ReadAll(r.Body)
	req := &servicetypes.RelayRequest{}
	if err := req.Unmarshal(body); err != nil {
		t.Errorf("not a relay request: %v", err)
		return nil, nil
	}
	hr := &sdktypes.POKTHTTPRequest{}
	if err := proto.Unmarshal(req.Payload, hr); err != nil {
		t.Errorf("payload is not a POKTHTTPRequest: %v", err)
	}
	return req, hr
}

func transportClient(t *testing.T, chain *fakeChain, endpoint string, p Payload, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{Chain: chain, App: chain.app.Address(), Service: service, Key: chain.gateways[0], Endpoint: endpoint,
		Payload: p, Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	return c
}

func wantCategory(t *testing.T, err error, cat Category, code string) {
	t.Helper()
	got, gotCode := Classify(err)
	if err == nil || got != cat || (code != "" && gotCode != code) {
		t.Fatalf("error %v (%s %q), want %s %q", err, got, gotCode, cat, code)
	}
}

func TestPayloadMarshalNewTransports(t *testing.T) {
	hr, _, err := Payload{Transport: TransportGRPC, Path: "/backend.v1.Backend/Echo"}.Marshal()
	if err != nil || hr.Method != "POST" || hr.Url != "/backend.v1.Backend/Echo" ||
		hr.Header["Content-Type"].Values[0] != "application/grpc" || !bytes.Equal(hr.BodyBz, []byte{0, 0, 0, 0, 0}) {
		t.Fatalf("grpc: %+v %v", hr, err)
	}
	for _, bad := range []string{"", "/", "/svc", "/svc/", "//M", "/a/b/c", "x/y"} {
		if _, _, err := (Payload{Transport: TransportGRPC, Path: bad}).Marshal(); err == nil {
			t.Errorf("grpc method %q accepted", bad)
		}
	}
	if _, _, err := (Payload{Transport: TransportGRPC, Path: "/a.B/C", Method: "GET"}).Marshal(); err == nil {
		t.Error("grpc GET accepted")
	}
	hr, _, err = Payload{Transport: TransportStream, Path: "/stream/sse?count=2"}.Marshal()
	if err != nil || hr.Method != "GET" || hr.Header["Accept"].Values[0] != "text/event-stream" || hr.Url != "/stream/sse?count=2" {
		t.Fatalf("stream: %+v %v", hr, err)
	}
	hr, _, _ = Payload{Transport: TransportStream, Header: http.Header{"Accept": {"application/x-ndjson"}}}.Marshal()
	if hr.Header["Accept"].Values[0] != "application/x-ndjson" {
		t.Fatalf("stream accept %v", hr.Header["Accept"])
	}
	hr, raw, err := Payload{Transport: TransportWebSocket, Body: []byte(rpcBody)}.Marshal()
	if err != nil || hr != nil || string(raw) != rpcBody {
		t.Fatalf("websocket: %v %q %v", hr, raw, err)
	}
	if _, _, err := (Payload{Transport: TransportWebSocket}).Marshal(); err == nil {
		t.Error("websocket without a payload accepted")
	}
	if f := GRPCFrame([]byte("abc")); !bytes.Equal(f, []byte{0, 0, 0, 0, 3, 'a', 'b', 'c'}) {
		t.Fatalf("frame %x", f)
	}
}

// grpcMiner answers gRPC relays with the echoed message and the given grpc-status, signed by key.
func grpcMiner(t *testing.T, status string, key func() *cosmossecp.PrivKey) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, hr := readRelay(t, r)
		if req == nil {
			return
		}
		if r.Header.Get("Rpc-Type") != "1" || hr.Method != "POST" || hr.Url != "/backend.v1.Backend/Echo" ||
			hr.Header["Content-Type"].Values[0] != "application/grpc" {
			t.Errorf("grpc relay: Rpc-Type %q, %s %s %v", r.Header.Get("Rpc-Type"), hr.Method, hr.Url, hr.Header)
		}
		hdr := map[string]*sdktypes.Header{"Content-Type": {Key: "Content-Type", Values: []string{"application/grpc"}}}
		if status != "" {
			hdr["grpc-status"] = &sdktypes.Header{Key: "grpc-status", Values: []string{status}}
			hdr["grpc-message"] = &sdktypes.Header{Key: "grpc-message", Values: []string{"no such thing"}}
		}
		p := httpPayload(t, &sdktypes.POKTHTTPResponse{StatusCode: 200, Header: hdr, BodyBz: hr.BodyBz})
		w.Write(marshalResp(t, signed(t, req.Meta.SessionHeader, p, key())))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestGRPCRelay(t *testing.T) {
	chain := newFakeChain(t, "")
	sup, wrong := chain.suppliers[0].priv, testKey(t, "not-the-supplier").priv
	p := Payload{Transport: TransportGRPC, Path: "/backend.v1.Backend/Echo", Body: GRPCFrame([]byte("\x0a\x02hi"))}

	c := transportClient(t, chain, grpcMiner(t, "0", func() *cosmossecp.PrivKey { return sup }).URL, p, nil)
	res, err := c.Do(t.Context())
	if err != nil || !res.SignatureVerified || res.GRPCStatus != "0" || !bytes.Equal(res.HTTP.BodyBz, GRPCFrame([]byte("\x0a\x02hi"))) {
		t.Fatalf("grpc relay: %+v %v", res, err)
	}

	c = transportClient(t, chain, grpcMiner(t, "5", func() *cosmossecp.PrivKey { return sup }).URL, p, nil)
	res, err = c.Do(t.Context())
	wantCategory(t, err, CategoryGRPCStatus, "5")
	if !res.SignatureVerified || !strings.Contains(err.Error(), "NotFound") {
		t.Fatalf("grpc status 5: verified %v, %v", res.SignatureVerified, err)
	}

	c = transportClient(t, chain, grpcMiner(t, "", func() *cosmossecp.PrivKey { return sup }).URL, p, nil)
	_, err = c.Do(t.Context())
	wantCategory(t, err, CategoryGRPCStatus, "missing")

	c = transportClient(t, chain, grpcMiner(t, "0", func() *cosmossecp.PrivKey { return wrong }).URL, p, nil)
	res, err = c.Do(t.Context())
	wantCategory(t, err, CategorySignatureInvalid, "")
	if res.SignatureVerified {
		t.Fatal("wrong signer verified")
	}
}

// streamMode says how streamMiner spoils its answer.
type streamMode int

const (
	streamValid streamMode = iota
	streamTamperedFrame
	streamWrongSigner
	streamBadTrailer
)

// streamMiner answers a streamed relay with one frame per event, flushed 10 ms apart, and the
// mined response in the trailer.
func streamMiner(t *testing.T, events []string, mode *atomic.Int32) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, hr := readRelay(t, r)
		if req == nil {
			return
		}
		if r.Header.Get("Rpc-Type") != "4" || hr.Header["Accept"] == nil {
			t.Errorf("stream relay: Rpc-Type %q, header %v", r.Header.Get("Rpc-Type"), hr.Header)
		}
		m := streamMode(mode.Load())
		sup := testKey(t, "sup1").priv
		w.Header().Set("Content-Type", hr.Header["Accept"].Values[0])
		w.Header().Set("Trailer", StreamTrailer)
		var all string
		for i, ev := range events {
			key := sup
			if m == streamWrongSigner && i == 1 {
				key = testKey(t, "not-the-supplier").priv
			}
			resp := signed(t, req.Meta.SessionHeader, httpPayload(t, &sdktypes.POKTHTTPResponse{StatusCode: 200, BodyBz: []byte(ev)}), key)
			if m == streamTamperedFrame && i == 1 {
				resp.Payload = httpPayload(t, &sdktypes.POKTHTTPResponse{StatusCode: 200, BodyBz: []byte("forged")})
			}
			w.Write(append(marshalResp(t, resp), StreamDelimiter...))
			w.(http.Flusher).Flush()
			all += ev
			time.Sleep(10 * time.Millisecond)
		}
		mined := signed(t, req.Meta.SessionHeader, httpPayload(t, &sdktypes.POKTHTTPResponse{StatusCode: 200, BodyBz: []byte(all)}), sup)
		if m == streamBadTrailer {
			mined.PayloadHash[0] ^= 1
		}
		mined.Payload = nil
		w.Header().Set(StreamTrailer, base64.StdEncoding.EncodeToString(marshalResp(t, mined)))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestStreamRelay(t *testing.T) {
	chain := newFakeChain(t, "")
	events := []string{"id: 1\ndata: {\"n\":1}\n\n", "id: 2\ndata: {\"n\":2}\n\n", "id: 3\ndata: {\"n\":3}\n\n"}
	var mode atomic.Int32
	srv := streamMiner(t, events, &mode)
	c := transportClient(t, chain, srv.URL, Payload{Transport: TransportStream, Path: "/stream/sse?count=3"}, nil)
	res, err := c.Do(t.Context())
	if err != nil || !res.SignatureVerified || !res.TrailerVerified || res.Frames != 3 ||
		string(res.HTTP.BodyBz) != strings.Join(events, "") || res.ContentType != "text/event-stream" {
		t.Fatalf("stream relay: %+v %v", res, err)
	}
	if res.FirstFrame <= 0 || res.FirstFrame >= res.Timings.Network+res.Timings.Verify || res.Timings.Network < 20*time.Millisecond {
		t.Fatalf("first frame %s, network %s", res.FirstFrame, res.Timings.Network)
	}
	for _, m := range []streamMode{streamTamperedFrame, streamWrongSigner, streamBadTrailer} {
		mode.Store(int32(m))
		res, err := c.Do(t.Context())
		wantCategory(t, err, CategorySignatureInvalid, "")
		if res.SignatureVerified {
			t.Fatalf("mode %d: verified", m)
		}
		if m != streamBadTrailer && (res.Frames != 1 || !strings.Contains(err.Error(), "frame 1")) {
			t.Fatalf("mode %d: %d frames verified, %v", m, res.Frames, err)
		}
	}
}

// TestVerifyStreamFrames: a whole answer's frames verify one by one; a tampered one is named.
func TestVerifyStreamFrames(t *testing.T) {
	chain := newFakeChain(t, "")
	h := &sessiontypes.SessionHeader{ApplicationAddress: chain.app.Address(), ServiceId: service, SessionId: "s1",
		SessionStartBlockHeight: 1, SessionEndBlockHeight: 4}
	sup := chain.suppliers[0]
	frame := func(body string) []byte {
		return marshalResp(t, signed(t, h, httpPayload(t, &sdktypes.POKTHTTPResponse{StatusCode: 200, BodyBz: []byte(body)}), sup.priv))
	}
	f0, f1 := frame("a\n"), frame("b\n")
	body := bytes.Join([][]byte{f0, f1}, []byte(StreamDelimiter))
	res := &Result{Header: h}
	if n, err := VerifyStreamFrames(body, res, sup.priv.PubKey()); err != nil || n != 2 || string(res.HTTP.BodyBz) != "a\nb\n" {
		t.Fatalf("%d frames, %v", n, err)
	}
	bad := append([]byte(nil), f1...)
	bad[len(bad)-1] ^= 1 // the signature's last byte
	body = bytes.Join([][]byte{f0, bad, nil}, []byte(StreamDelimiter))
	n, err := VerifyStreamFrames(body, &Result{Header: h}, sup.priv.PubKey())
	wantCategory(t, err, CategorySignatureInvalid, "")
	if n != 1 {
		t.Fatalf("%d frames verified before the tampered one", n)
	}
	other := *h
	other.SessionId = "s2"
	if _, err := VerifyStreamFrames(f0, &Result{Header: &other}, sup.priv.PubKey()); err == nil {
		t.Fatal("a frame of another session verified")
	}
}

// wsMiner is a WebSocket relay miner: it checks the upgrade headers and answers each frame
// with expect signed responses carrying the frame's payload.
type wsMiner struct {
	t           *testing.T
	expect      int
	wrongSigner atomic.Bool
	closeAfter  atomic.Int32 // close each connection after this many frames (0: never)
	closeFirst  atomic.Int32 // the first connections, this many, close at their first frame
	upgrades    atomic.Int32
	frames      atomic.Int32
	srv         *httptest.Server
	wg          sync.WaitGroup
}

func newWSMiner(t *testing.T, expect int) *wsMiner {
	m := &wsMiner{t: t, expect: expect}
	up := websocket.Upgrader{}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Rpc-Type") != "2" || r.Header.Get("Target-Service-Id") != service || r.Header.Get("App-Address") == "" {
			t.Errorf("upgrade headers %v", r.Header)
		}
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		nth := m.upgrades.Add(1)
		m.wg.Add(1)
		defer m.wg.Done()
		defer ws.Close()
		n := int32(0)
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			req := &servicetypes.RelayRequest{}
			if err := req.Unmarshal(b); err != nil {
				t.Errorf("frame is not a relay request: %v", err)
				return
			}
			n++
			if ca := m.closeAfter.Load(); (ca > 0 && n > ca) || nth <= m.closeFirst.Load() {
				ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "session claim window opened"), time.Now().Add(time.Second))
				return
			}
			m.frames.Add(1)
			key := testKey(t, "sup1").priv
			if m.wrongSigner.Load() {
				key = testKey(t, "not-the-supplier").priv
			}
			for i := range m.expect {
				resp := signed(t, req.Meta.SessionHeader, append([]byte{byte('0' + i)}, req.Payload...), key)
				if err := ws.WriteMessage(websocket.BinaryMessage, marshalResp(t, resp)); err != nil {
					return
				}
			}
		}
	}))
	t.Cleanup(func() { m.srv.CloseClientConnections(); m.srv.Close() })
	return m
}

func TestWebSocketRelays(t *testing.T) {
	chain := newFakeChain(t, "")
	m := newWSMiner(t, 2)
	c := transportClient(t, chain, m.srv.URL, Payload{Transport: TransportWebSocket, Body: []byte(rpcBody)},
		func(c *Config) { c.Connections, c.Expect = 2, 2 })
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				res, err := c.Do(t.Context())
				if err == nil && (!res.SignatureVerified || res.Frames != 2 || string(res.Messages[0]) != "0"+rpcBody ||
					string(res.Messages[1]) != "1"+rpcBody || res.Transport != TransportWebSocket) {
					err = errors.New("unexpected result")
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if m.upgrades.Load() != 2 || m.frames.Load() != 20 || c.Dials() != 2 {
		t.Fatalf("%d upgrades, %d frames, %d dials; want 2, 20, 2", m.upgrades.Load(), m.frames.Load(), c.Dials())
	}

	m.wrongSigner.Store(true)
	res, err := c.Do(t.Context())
	wantCategory(t, err, CategorySignatureInvalid, "")
	if res.SignatureVerified {
		t.Fatal("wrong signer verified")
	}
}

// TestWebSocketReconnects: when the relay miner closes the connection (as at a session's claim
// window) instead of answering, the frame is sent again on a new connection.
func TestWebSocketReconnects(t *testing.T) {
	chain := newFakeChain(t, "")
	m := newWSMiner(t, 1)
	m.closeAfter.Store(2)
	c := transportClient(t, chain, m.srv.URL, Payload{Transport: TransportWebSocket, Body: []byte(rpcBody)}, nil)
	resent := 0
	for i := range 6 {
		res, err := c.Do(t.Context())
		if err != nil || !res.SignatureVerified {
			t.Fatalf("relay %d: %v", i, err)
		}
		if res.Resent {
			resent++
		}
	}
	if c.Dials() != 3 || resent != 2 || m.frames.Load() != 6 {
		t.Fatalf("%d dials, %d resent, %d frames answered; want 3, 2, 6", c.Dials(), resent, m.frames.Load())
	}
}

// TestWebSocketResendBounded: at a claim window every connection of the session closes, one
// after the other, so a resent frame may find its new connection closing too: it is sent up to
// wsSendAttempts times, then reported as a transport error.
func TestWebSocketResendBounded(t *testing.T) {
	for _, closing := range []int32{wsSendAttempts - 1, wsSendAttempts} {
		chain := newFakeChain(t, "")
		m := newWSMiner(t, 1)
		m.closeFirst.Store(closing)
		c := transportClient(t, chain, m.srv.URL, Payload{Transport: TransportWebSocket, Body: []byte(rpcBody)}, nil)
		res, err := c.Do(t.Context())
		if closing < wsSendAttempts {
			if err != nil || !res.SignatureVerified || !res.Resent || c.Dials() != int64(closing)+1 {
				t.Fatalf("%d closing connections: %v, verified %v, resent %v, %d dials", closing, err, res.SignatureVerified, res.Resent, c.Dials())
			}
			continue
		}
		wantCategory(t, err, CategoryTransport, "")
		if c.Dials() != wsSendAttempts {
			t.Fatalf("%d dials for %d attempts", c.Dials(), wsSendAttempts)
		}
	}
}

// TestWebSocketUpgradeRefused: an HTTP answer instead of 101 is an http_status error with the
// relay miner's status.
func TestWebSocketUpgradeRefused(t *testing.T) {
	chain := newFakeChain(t, "")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such service", http.StatusNotFound)
	}))
	t.Cleanup(srv.Close)
	c := transportClient(t, chain, srv.URL, Payload{Transport: TransportWebSocket, Body: []byte(rpcBody)}, nil)
	_, err := c.Do(t.Context())
	wantCategory(t, err, CategoryHTTPStatus, "miner_404")
	if u := wsURL("https://x/y"); u != "wss://x/y" {
		t.Fatal(u)
	}
}

// TestPreviousSessionRetry: just after a switch, a relay miner that does not know the new
// session yet refuses it (relay_authenticator/1); the relay is sent again in the previous
// session, over HTTP and on a WebSocket (whose connection stays open).
func TestPreviousSessionRetry(t *testing.T) {
	chain := newFakeChain(t, "")
	sup := chain.suppliers[0].priv
	refuse := func(h *sessiontypes.SessionHeader) []byte {
		if h.SessionStartBlockHeight < 13 {
			return nil
		}
		r := &servicetypes.RelayResponse{Meta: servicetypes.RelayResponseMetadata{SessionHeader: h},
			RelayMinerError: &servicetypes.RelayMinerError{Codespace: "relay_authenticator", Code: 1, Description: "invalid session"}}
		return marshalResp(t, r)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := readRelay(t, r)
		if b := refuse(req.Meta.SessionHeader); b != nil {
			w.Write(b)
			return
		}
		w.Write(marshalResp(t, signed(t, req.Meta.SessionHeader, httpPayload(t, &sdktypes.POKTHTTPResponse{StatusCode: 200}), sup)))
	}))
	t.Cleanup(srv.Close)
	var upgrades atomic.Int32
	wsSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		upgrades.Add(1)
		defer ws.Close()
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			req := &servicetypes.RelayRequest{}
			if req.Unmarshal(b) != nil {
				return
			}
			out := refuse(req.Meta.SessionHeader)
			if out == nil {
				out = marshalResp(t, signed(t, req.Meta.SessionHeader, req.Payload, sup))
			}
			if ws.WriteMessage(websocket.BinaryMessage, out) != nil {
				return
			}
		}
	}))
	t.Cleanup(func() { wsSrv.CloseClientConnections(); wsSrv.Close() })

	for _, tc := range []struct {
		url string
		p   Payload
	}{{srv.URL, Payload{Transport: TransportREST, Path: "/x"}}, {wsSrv.URL, Payload{Transport: TransportWebSocket, Body: []byte("m")}}} {
		chain.setHeight(10)
		c := transportClient(t, chain, tc.url, tc.p, nil)
		if res, err := c.Do(t.Context()); err != nil || res.PreviousSession {
			t.Fatalf("%s before the switch: %v", tc.p.Transport, err)
		}
		chain.setHeight(13)
		if err := c.Refresh(t.Context()); err != nil {
			t.Fatal(err)
		}
		res, err := c.Do(t.Context())
		if err != nil || !res.PreviousSession || !res.SignatureVerified || res.Header.SessionStartBlockHeight != 9 {
			t.Fatalf("%s after the switch: %+v %v", tc.p.Transport, res, err)
		}
	}
	if upgrades.Load() != 1 {
		t.Fatalf("%d upgrades: the refusal closed the connection", upgrades.Load())
	}
}

// TestWriteResultNewTransports: gRPC bodies print in hex, streams their frames and first
// frame, WebSocket relays their responses.
func TestWriteResultNewTransports(t *testing.T) {
	chain := newFakeChain(t, "")
	c := transportClient(t, chain, grpcMiner(t, "0", func() *cosmossecp.PrivKey { return chain.suppliers[0].priv }).URL,
		Payload{Transport: TransportGRPC, Path: "/backend.v1.Backend/Echo", Body: GRPCFrame([]byte("\x0a\x02hi"))}, nil)
	res, err := c.Do(t.Context())
	var b strings.Builder
	WriteResult(&b, res, err)
	for _, want := range []string{"http:          POST /backend.v1.Backend/Echo", "body:          9 bytes (length-prefixed gRPC messages): 00000000040a026869",
		"grpc-status:   0", "signature:     verified"} {
		if !strings.Contains(b.String(), want) {
			t.Fatalf("lacks %q:\n%s", want, b.String())
		}
	}
	var mode atomic.Int32
	c = transportClient(t, chain, streamMiner(t, []string{"a\n\n", "b\n\n"}, &mode).URL, Payload{Transport: TransportStream}, nil)
	res, err = c.Do(t.Context())
	b.Reset()
	WriteResult(&b, res, err)
	for _, want := range []string{"frames:        2, every one signed", "trailer:       Pocket-Relay-Response verified", "first frame:", "body:          a\n\nb"} {
		if !strings.Contains(b.String(), want) {
			t.Fatalf("lacks %q:\n%s", want, b.String())
		}
	}
}
