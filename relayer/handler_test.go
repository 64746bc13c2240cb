package relayer

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sdktypes "github.com/pokt-network/shannon-sdk/types"
	"google.golang.org/protobuf/proto"
)

// drain waits for every queued post job; the fixture's server takes no relay afterwards.
func (f *fixture) drain() { f.srv.post.StopAndWait() }

// settle waits until every post job submitted so far has finished, leaving the pool running.
func (f *fixture) settle() {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for f.srv.post.CompletedTasks()+f.srv.post.DroppedTasks() < f.srv.post.SubmittedTasks() {
		if time.Now().After(deadline) {
			f.t.Fatal("post jobs did not finish")
		}
		<-time.After(time.Millisecond)
	}
}

func TestServeRelaySignedAndMined(t *testing.T) {
	f := newFixture(t)
	req := f.request(nil)
	resp, raw := f.serve(f.body(req))
	if resp.RelayMinerError != nil {
		t.Fatalf("relay_miner_error: %+v", resp.RelayMinerError)
	}
	if err := resp.ValidateBasic(); err != nil {
		t.Fatal(err)
	}
	// A gateway verifies exactly this.
	if err := resp.VerifySupplierOperatorSignature(f.supKey.PubKey()); err != nil {
		t.Fatalf("supplier signature: %v", err)
	}
	if sum := sha256.Sum256(resp.Payload); !bytes.Equal(resp.PayloadHash, sum[:]) {
		t.Fatal("payload_hash is not sha256(payload)")
	}
	var hr sdktypes.POKTHTTPResponse
	if err := proto.Unmarshal(resp.Payload, &hr); err != nil || hr.StatusCode != 200 || !bytes.Equal(hr.BodyBz, f.backend.body) {
		t.Fatalf("payload: %v %+v", err, &hr)
	}
	if *resp.Meta.SessionHeader != f.header {
		t.Fatalf("response header %+v", resp.Meta.SessionHeader)
	}
	f.drain()
	if n := f.signer.n.Load(); n != 1 {
		t.Fatalf("%d signatures for one relay, want 1", n)
	}
	got := f.pub.relays()
	if len(got) != 1 {
		t.Fatalf("%d relays published, want 1", len(got))
	}
	m := got[0]
	if m.Supplier != f.sup || m.SessionID != f.header.SessionId || m.ServiceID != testService || m.Application != f.app ||
		m.SessionStartHeight != 1 || m.SessionEndHeight != 10 || m.ComputeUnitsPerRelay != 7 {
		t.Fatalf("mined relay fields: %+v", m)
	}
	if m.VerifyHash() != nil {
		t.Fatal("relay hash is not sha256 of the relay bytes")
	}
	// The mined response is, byte for byte, the one the client got without its payload.
	var relay servicetypes.Relay
	if err := relay.Unmarshal(m.Relay); err != nil {
		t.Fatal(err)
	}
	var sent servicetypes.RelayResponse
	if err := sent.Unmarshal(raw); err != nil {
		t.Fatal(err)
	}
	sent.Payload = nil
	wantRes, _ := sent.Marshal()
	gotRes, _ := relay.Res.Marshal()
	if !bytes.Equal(wantRes, gotRes) || relay.Res.Payload != nil {
		t.Fatal("mined response differs from the response sent (payload stripped)")
	}
	wantReq, _ := req.Marshal()
	gotReq, _ := relay.Req.Marshal()
	if !bytes.Equal(wantReq, gotReq) {
		t.Fatal("mined request differs from the request received")
	}
	if err := relay.Res.VerifySupplierOperatorSignature(f.supKey.PubKey()); err != nil {
		t.Fatalf("dehydrated response no longer verifies: %v", err)
	}
	if consumed, _ := f.meter.state(); consumed != 1 {
		t.Fatalf("meter consumed %d, want 1", consumed)
	}
}

func TestWarmSessionMakesNoChainQuery(t *testing.T) {
	f := newFixture(t)
	f.serve(f.body(f.request(nil)))
	f.chain.queries.Store(0)
	for i := range 5 {
		resp, _ := f.serve(f.body(f.request(func(r *servicetypes.RelayRequest) { r.Payload = append([]byte(nil), testPayload...); _ = i })))
		if resp.RelayMinerError != nil {
			t.Fatalf("relay %d: %+v", i, resp.RelayMinerError)
		}
	}
	if n := f.chain.queries.Load(); n != 0 {
		t.Fatalf("%d chain queries for relays of a warm session, want 0", n)
	}
	f.drain()
	if n := f.signer.n.Load(); n != 6 {
		t.Fatalf("%d signatures for 6 relays", n)
	}
}

func TestRejections(t *testing.T) {
	type tc struct {
		name      string
		setup     func(f *fixture)
		body      func(f *fixture) []byte
		hdr       []string
		service   string
		reason    reason
		codespace string
		code      uint32
	}
	signed := func(mut func(*servicetypes.RelayRequest)) func(f *fixture) []byte {
		return func(f *fixture) []byte { return f.body(f.request(mut)) }
	}
	cases := []tc{
		{name: "malformed body", body: func(*fixture) []byte { return []byte{0xff, 0xff, 0xff} },
			service: unknownServiceLabel, reason: reasonMalformed, codespace: "relayer_proxy", code: 14},
		{name: "missing signature", body: func(f *fixture) []byte {
			r := f.request(nil)
			r.Meta.Signature = nil
			return f.body(r)
		}, service: testService, reason: reasonInvalidRequest, codespace: "service", code: 1111},
		{name: "over the global cap", body: func(*fixture) []byte { return make([]byte, 2<<20) },
			service: unknownServiceLabel, reason: reasonBodyTooLarge, codespace: "relayer_proxy", code: 11},
		{name: "over the service limit", body: signed(func(r *servicetypes.RelayRequest) { r.Payload = make([]byte, 100<<10) }),
			service: testService, reason: reasonBodyTooLarge, codespace: "relayer_proxy", code: 11},
		{name: "unknown service", body: signed(func(r *servicetypes.RelayRequest) { r.Meta.SessionHeader.ServiceId = "other" }),
			service: unknownServiceLabel, reason: reasonUnknownService, codespace: "relayer_proxy", code: 3},
		// poktroll v0.1.35 (getServiceConfig) answers an unparsable Rpc-Type as an internal
		// error; a number without a backend of its own falls back (TestRouteMatchesPoktroll).
		{name: "unparsable rpc type", body: signed(nil), hdr: []string{"Rpc-Type", "json"},
			service: testService, reason: reasonBadRPCType, codespace: "relayer_proxy", code: 5},
		{name: "foreign supplier", body: signed(func(r *servicetypes.RelayRequest) { r.Meta.SupplierOperatorAddress = addr(key("stranger")) }),
			service: testService, reason: reasonUnknownSupplier, codespace: "relayer_proxy", code: 9},
		{name: "supplier not in session", body: signed(func(r *servicetypes.RelayRequest) { r.Meta.SupplierOperatorAddress = addr(key("other")) }),
			service: testService, reason: reasonSupplierNotInSession, codespace: "relay_authenticator", code: 2},
		{name: "bad signature", body: func(f *fixture) []byte { return f.body(f.request(nil, key("intruder"))) },
			service: testService, reason: reasonBadSignature, codespace: "rings", code: 3},
		{name: "tampered payload", body: func(f *fixture) []byte {
			r := f.request(nil)
			r.Payload = append([]byte(nil), r.Payload...)
			r.Payload[len(r.Payload)-2] ^= 1
			return f.body(r)
		}, service: testService, reason: reasonBadSignature, codespace: "rings", code: 3},
		{name: "wrong session id", body: signed(func(r *servicetypes.RelayRequest) { r.Meta.SessionHeader.SessionId = "bad" }),
			service: testService, reason: reasonInvalidSession, codespace: "relay_authenticator", code: 1},
		{name: "forged start height", body: signed(func(r *servicetypes.RelayRequest) { r.Meta.SessionHeader.SessionStartBlockHeight = 2 }),
			service: testService, reason: reasonInvalidSession, codespace: "relay_authenticator", code: 1},
		{name: "future session", body: signed(func(r *servicetypes.RelayRequest) {
			r.Meta.SessionHeader.SessionStartBlockHeight, r.Meta.SessionHeader.SessionEndBlockHeight = 21, 30
		}), service: testService, reason: reasonInvalidSession, codespace: "relay_authenticator", code: 1},
		{name: "grace period elapsed", setup: func(f *fixture) { f.heights.h.Store(12) }, body: signed(nil),
			service: testService, reason: reasonSessionExpired, codespace: "relay_authenticator", code: 1},
		{name: "no block height", setup: func(f *fixture) { f.heights.h.Store(0) }, body: signed(nil),
			service: testService, reason: reasonNotReady, codespace: "relayer_proxy", code: 5},
		{name: "unknown application", setup: func(f *fixture) { f.chain.app.Address = "x" }, body: signed(nil),
			service: testService, reason: reasonRingUnavailable, codespace: "rings", code: 2},
		{name: "chain down", setup: func(f *fixture) { f.chain.failWith = errors.New("connection refused") }, body: signed(nil),
			service: testService, reason: reasonChainUnavailable, codespace: "relayer_proxy", code: 5},
		{name: "over-serviced", setup: func(f *fixture) { f.meter.budget = 0 }, body: signed(nil),
			service: testService, reason: reasonOverServiced, codespace: "relayer_proxy", code: 7},
		{name: "meter down, fail closed", setup: func(f *fixture) { f.meter.err = errors.New("redis down"); f.meter.failClosed = true }, body: signed(nil),
			service: testService, reason: reasonMeterUnavailable, codespace: "relayer_proxy", code: 5},
		{name: "backend timeout", setup: func(f *fixture) { f.backend.err = timeoutError{} }, body: signed(nil),
			service: testService, reason: reasonBackendTimeout, codespace: "relayer_proxy", code: 10},
		{name: "backend down", setup: func(f *fixture) { f.backend.err = errors.New("dial refused") }, body: signed(nil),
			service: testService, reason: reasonBackendError, codespace: "relayer_proxy", code: 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			if c.setup != nil {
				c.setup(f)
			}
			resp, _ := f.serve(c.body(f), c.hdr...)
			e := resp.RelayMinerError
			if e == nil {
				t.Fatal("no relay_miner_error")
			}
			if e.Codespace != c.codespace || e.Code != c.code || e.Description != protocolErrors[c.reason].description {
				t.Fatalf("relay_miner_error %+v, want %s/%d", e, c.codespace, c.code)
			}
			if string(resp.Payload) != e.Message || !strings.HasSuffix(e.Message, e.Description) {
				t.Fatalf("payload %q, message %q", resp.Payload, e.Message)
			}
			if len(resp.Meta.SupplierOperatorSignature) != 0 || resp.PayloadHash != nil {
				t.Fatal("an error reply must be unsigned")
			}
			if resp.Meta.SessionHeader == nil {
				t.Fatal("error reply without a session header")
			}
			if got := f.rejected(c.service, c.reason); got != 1 {
				t.Fatalf("relays_rejected_total{%s,%s} = %v, want 1", c.service, c.reason, got)
			}
			f.drain()
			if n := len(f.pub.relays()); n != 0 {
				t.Fatalf("%d rejected relays published", n)
			}
			if n := f.signer.n.Load(); n != 0 {
				t.Fatalf("%d signatures for a rejected relay", n)
			}
			if consumed, _ := f.meter.state(); consumed != 0 {
				t.Fatalf("meter keeps %d relays of a rejected relay", consumed)
			}
		})
	}
}

type timeoutError struct{}

func (timeoutError) Error() string { return "backend timeout" }
func (timeoutError) Timeout() bool { return true }

func TestGracePeriodAcceptsPastSession(t *testing.T) {
	f := newFixture(t)
	f.heights.h.Store(11) // E=10, grace 1: the last height that accepts relays of the session
	resp, _ := f.serve(f.body(f.request(nil)))
	if resp.RelayMinerError != nil {
		t.Fatalf("relay in the grace period rejected: %+v", resp.RelayMinerError)
	}
	f.drain()
	if len(f.pub.relays()) != 1 {
		t.Fatal("a relay answered inside the grace period (before the claim window) must be mined")
	}
}

func TestNotMinedAfterClaimWindowOpens(t *testing.T) {
	f := newFixture(t)
	f.serve(f.body(f.request(nil))) // warm the session
	f.settle()                      // the first relay's post job reads the entry changed below
	f.heights.h.Store(11)
	f.srv.v.sessions.Range(func(k sessionKey, e *sessionEntry) bool { e.claimOpen = 11; return true })
	resp, _ := f.serve(f.body(f.request(nil)))
	if resp.RelayMinerError != nil {
		t.Fatalf("%+v", resp.RelayMinerError)
	}
	f.drain()
	if n := len(f.pub.relays()); n != 1 {
		t.Fatalf("%d relays published, want only the first", n)
	}
	if consumed, refunds := f.meter.state(); consumed != 1 || refunds != 1 {
		t.Fatalf("meter consumed %d refunds %d, want 1 and 1", consumed, refunds)
	}
}

func TestBackend5xxServedNotMined(t *testing.T) {
	f := newFixture(t)
	f.backend.status = 503
	resp, _ := f.serve(f.body(f.request(nil)))
	if resp.RelayMinerError != nil || resp.VerifySupplierOperatorSignature(f.supKey.PubKey()) != nil {
		t.Fatal("a backend 5xx is passed through, signed")
	}
	f.drain()
	if len(f.pub.relays()) != 0 || f.postOutcome(outcomeNotEligible) != 1 {
		t.Fatal("a 5xx relay must not be mined")
	}
	if consumed, refunds := f.meter.state(); consumed != 0 || refunds != 1 {
		t.Fatalf("meter consumed %d refunds %d", consumed, refunds)
	}
}

func TestOptimisticServesFirstAndNeverMinesInvalid(t *testing.T) {
	f := newFixture(t, optimistic)
	resp, _ := f.serve(f.body(f.request(nil, key("intruder"))))
	if resp.RelayMinerError != nil || resp.VerifySupplierOperatorSignature(f.supKey.PubKey()) != nil {
		t.Fatal("optimistic mode answers before validating")
	}
	good, _ := f.serve(f.body(f.request(nil)))
	if good.RelayMinerError != nil {
		t.Fatal(good.RelayMinerError)
	}
	f.drain()
	if n := len(f.pub.relays()); n != 1 {
		t.Fatalf("%d relays published, want the valid one only", n)
	}
	if f.postOutcome(outcomeInvalid) != 1 {
		t.Fatal("the invalid relay must be counted invalid")
	}
	if consumed, _ := f.meter.state(); consumed != 1 {
		t.Fatalf("meter consumed %d, want 1 (the valid relay)", consumed)
	}
}

func TestRoutingByRPCType(t *testing.T) {
	f := newFixture(t)
	for _, h := range [][]string{nil, {"Rpc-Type", "3"}, {"Rpc-Type", "4"}} {
		resp, _ := f.serve(f.body(f.request(nil)), h...)
		if resp.RelayMinerError != nil {
			t.Fatalf("%v: %+v", h, resp.RelayMinerError)
		}
	}
	if n := f.backend.calls.Load(); n != 3 {
		t.Fatalf("backend calls %d", n)
	}
}

func TestPublishBacklogFullIsCounted(t *testing.T) {
	f := newFixture(t)
	f.pub.full = true
	f.serve(f.body(f.request(nil)))
	f.drain()
	if f.postOutcome(outcomeDropped) != 1 {
		t.Fatal("a dropped relay must be counted")
	}
	if consumed, _ := f.meter.state(); consumed != 0 {
		t.Fatal("a dropped relay gives its meter charge back")
	}
}

func TestErrorReplyWithoutRequest(t *testing.T) {
	resp := errorResponse(reject(reasonMalformed, "decode: %w", fmt.Errorf("x")), nil)
	bz, err := resp.Marshal()
	if err != nil || len(bz) == 0 || resp.Meta.SessionHeader == nil {
		t.Fatal("error reply must marshal with an empty session header")
	}
}
