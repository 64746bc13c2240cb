package client

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sdktypes "github.com/pokt-network/shannon-sdk/types"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/desertbit/timer.timerRoutine"))
}

const rpcBody = `{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}`

func newTestClient(t *testing.T, chain *fakeChain, key *Key, p Payload) *Client {
	t.Helper()
	c, err := New(Config{Chain: chain, App: chain.app.Address(), Service: service, Key: key, Payload: p})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDoSignsAndVerifies: as the application and as its gateway, the request's ring
// signature verifies with ring-go and relayer/ring (checked by the fake miner) and the
// supplier's answer verifies here.
func TestDoSignsAndVerifies(t *testing.T) {
	m, chain := newFakeMiner(t)
	for _, key := range []*Key{chain.app, chain.gateways[0]} {
		c := newTestClient(t, chain, key, Payload{Transport: TransportJSONRPC, Body: []byte(rpcBody)})
		res, err := c.Do(t.Context())
		if err != nil {
			t.Fatalf("signed as %s: %v", key.Address(), err)
		}
		if !res.SignatureVerified || res.HTTP.StatusCode != 200 || string(res.HTTP.BodyBz) != "echo "+rpcBody {
			t.Fatalf("result %+v", res)
		}
		if res.Supplier != chain.suppliers[0].Address() || res.Endpoint != chain.endpoint {
			t.Fatalf("sent to %s at %s", res.Supplier, res.Endpoint)
		}
	}
	if m.rpcType[0] != "3" || m.urls[0] != "/ POST /" {
		t.Fatalf("Rpc-Type %q, request %q", m.rpcType[0], m.urls[0])
	}
}

// TestRequestBytesDecode: the request as sent decodes with poktroll's and shannon-sdk's
// types into what was built.
func TestRequestBytesDecode(t *testing.T) {
	_, chain := newFakeMiner(t)
	c := newTestClient(t, chain, chain.app, Payload{Transport: TransportJSONRPC, Body: []byte(rpcBody),
		Header: map[string][]string{"x-trace": {"a", "b"}}})
	st := c.state.Load()
	res := &Result{}
	bz, err := c.build(st, st.pick(), res)
	if err != nil {
		t.Fatal(err)
	}
	req := &servicetypes.RelayRequest{}
	if err := req.Unmarshal(bz); err != nil {
		t.Fatal(err)
	}
	if h := req.Meta.SessionHeader; h.SessionId != "session-9" || h.ApplicationAddress != chain.app.Address() ||
		req.Meta.SupplierOperatorAddress != chain.suppliers[0].Address() || len(req.Meta.Signature) != 69+65*2 {
		t.Fatalf("decoded %+v", req.Meta)
	}
	hr, err := sdktypes.DeserializeHTTPRequest(req.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if hr.Method != "POST" || hr.Url != "/" || string(hr.BodyBz) != rpcBody ||
		strings.Join(hr.Header["X-Trace"].Values, ",") != "a,b" || hr.Header["Content-Type"].Values[0] != "application/json" {
		t.Fatalf("payload %+v", hr)
	}
	hash, _ := req.GetSignableBytesHash()
	if !ringGoVerifies(chain.ringKeys(), hash, req.Meta.Signature) {
		t.Fatal("ring-go rejects the decoded request")
	}
}

// TestDoErrors: every way an answer can be wrong is an error of the right category.
func TestDoErrors(t *testing.T) {
	m, chain := newFakeMiner(t)
	c := newTestClient(t, chain, chain.app, Payload{Transport: TransportJSONRPC, Body: []byte(rpcBody)})
	for _, tc := range []struct {
		name     string
		mode     minerMode
		cat      Category
		code     string
		verified bool
	}{
		{"tampered payload_hash", answerTamperedPayloadHash, CategorySignatureInvalid, "", false},
		{"tampered payload", answerTamperedPayload, CategorySignatureInvalid, "", false},
		{"wrong signer", answerWrongSigner, CategorySignatureInvalid, "", false},
		{"relay miner error", answerMinerError, CategoryRelayMinerError, "relayer/7", false},
		{"empty answer", answerHTTP500, CategoryDecode, "", false},
		{"backend 502", answerBackend502, CategoryHTTPStatus, "backend_502", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m.mode.Store(int32(tc.mode))
			res, err := c.Do(t.Context())
			var e *Error
			if !errors.As(err, &e) || e.Category != tc.cat || e.Code != tc.code {
				t.Fatalf("got %v, want %s %s", err, tc.cat, tc.code)
			}
			if res.SignatureVerified != tc.verified {
				t.Fatalf("verified %v, want %v", res.SignatureVerified, tc.verified)
			}
		})
	}
}

// TestTransportAndStatusErrors: a miner that is not there, and one that answers non-200.
func TestTransportAndStatusErrors(t *testing.T) {
	_, chain := newFakeMiner(t)
	for _, tc := range []struct {
		endpoint string
		cat      Category
	}{{"http://127.0.0.1:1", CategoryTransport}} {
		c, err := New(Config{Chain: chain, App: chain.app.Address(), Service: service, Key: chain.app,
			Endpoint: tc.endpoint, Payload: Payload{Transport: TransportJSONRPC, Body: []byte(rpcBody)}})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		_, err = c.Do(t.Context())
		if cat, _ := Classify(err); cat != tc.cat {
			t.Fatalf("%s: %v, want %s", tc.endpoint, err, tc.cat)
		}
		c.Close()
	}
}

// TestSessionRollover: once the height passes the session end, Refresh switches to the next
// session and later relays carry its header; before that it does not fetch anything.
func TestSessionRollover(t *testing.T) {
	m, chain := newFakeMiner(t)
	c := newTestClient(t, chain, chain.gateways[0], Payload{Transport: TransportJSONRPC, Body: []byte(rpcBody)})
	if _, err := c.Do(t.Context()); err != nil {
		t.Fatal(err)
	}
	chain.setHeight(12) // last block of session 9-12
	calls := chain.sessions.Load()
	if err := c.Refresh(t.Context()); err != nil || chain.sessions.Load() != calls {
		t.Fatalf("refresh within the session: err %v, %d session queries", err, chain.sessions.Load()-calls)
	}
	chain.setHeight(13)
	if err := c.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := []string{m.headers[0].SessionId, m.headers[1].SessionId}; got[0] != "session-9" || got[1] != "session-13" {
		t.Fatalf("sessions of the relays: %v", got)
	}
	if s := c.Sessions(); len(s) != 2 || s[1].StartHeight != 13 || s[1].EndHeight != 16 {
		t.Fatalf("Sessions() = %+v", s)
	}
}

// TestRESTUsesStakedRESTEndpoint: the rest transport picks the REST endpoint and sends the
// path, method and Rpc-Type 4.
func TestRESTUsesStakedRESTEndpoint(t *testing.T) {
	m, chain := newFakeMiner(t)
	c := newTestClient(t, chain, chain.app, Payload{Transport: TransportREST, Path: "/v1/blocks?latest=1"})
	res, err := c.Do(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Endpoint != chain.endpoint+"/rest" || m.rpcType[0] != "4" || m.urls[0] != "/rest GET /v1/blocks?latest=1" {
		t.Fatalf("endpoint %s, Rpc-Type %s, request %q", res.Endpoint, m.rpcType[0], m.urls[0])
	}
}

func TestStartErrors(t *testing.T) {
	_, chain := newFakeMiner(t)
	p := Payload{Transport: TransportJSONRPC, Body: []byte(rpcBody)}
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"key outside the ring", Config{Key: testKey(t, "stranger")}, "neither application"},
		{"supplier not in session", Config{Key: chain.app, Supplier: testKey(t, "other").Address()}, "not in session"},
		{"no endpoint for the rpc type", Config{Key: chain.app, Payload: Payload{Transport: TransportCometBFT}}, "no COMET_BFT endpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Chain, cfg.App, cfg.Service = chain, chain.app.Address(), service
			if cfg.Payload.Transport == "" {
				cfg.Payload = p
			}
			c, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.Start(t.Context()); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Start: %v, want %q", err, tc.want)
			}
		})
	}
}

func TestKeyFromHex(t *testing.T) {
	k := testKey(t, "app")
	raw := hex.EncodeToString(k.priv.Key)
	for _, s := range []string{raw, "0x" + raw, strings.ToUpper(raw) + "\n"} {
		got, err := KeyFromHex(s)
		if err != nil || got.Address() != k.Address() {
			t.Fatalf("%v %v", got, err)
		}
	}
	for _, bad := range []string{raw[:62], raw[:62] + "zz", strings.Repeat("0", 64)} {
		_, err := KeyFromHex(bad)
		if err == nil {
			t.Fatalf("accepted a bad key")
		}
		if strings.Contains(err.Error(), bad[:20]) {
			t.Fatalf("error repeats the key: %v", err)
		}
	}
	if !strings.HasPrefix(k.Address(), "pokt1") || strings.Contains(k.String(), raw) {
		t.Fatalf("address %s, String %s", k.Address(), k.String())
	}
}

func TestPayloadMarshal(t *testing.T) {
	a, bz1, err := Payload{Transport: TransportCometBFT, Path: "/status"}.Marshal()
	if err != nil || a.Method != "GET" || a.Url != "/status" || len(a.Header) != 0 {
		t.Fatalf("%+v %v", a, err)
	}
	_, bz2, _ := Payload{Transport: TransportCometBFT, Path: "/status"}.Marshal()
	if string(bz1) != string(bz2) {
		t.Fatal("not deterministic")
	}
	var back sdktypes.POKTHTTPRequest
	if err := proto.Unmarshal(bz1, &back); err != nil || back.Url != "/status" {
		t.Fatal(err)
	}
	for _, bad := range []Payload{{Transport: "smtp"}, {Transport: TransportJSONRPC}, {Transport: TransportREST, Path: "http://x/y"}} {
		if _, _, err := bad.Marshal(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
