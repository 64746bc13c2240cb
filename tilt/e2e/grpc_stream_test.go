//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	sdktypes "github.com/pokt-network/shannon-sdk/types"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/shannon-ops/pocket-relay-miner/relayer"
	"github.com/shannon-ops/pocket-relay-miner/relayer/client"
	"github.com/shannon-ops/pocket-relay-miner/tilt/backend"
)

const (
	grpcE2ERelays = 5 // gRPC Echo relays (Rpc-Type 1)
	sseE2ERelays  = 3 // whole SSE streams (Rpc-Type 4)
	sseE2EEvents  = 5 // events per whole SSE stream
)

// startStreamRelayer starts our relayer for supplier1 with jsonrpc, rest and grpc backends, all
// the backend-server (it serves gRPC over h2c on its HTTP port), publishing to a fresh
// redis-server.
func startStreamRelayer(t *testing.T, ctx context.Context) *ourRelayer {
	return startRelayerWith(t, ctx, relayerSpec{name: "relayer-stream", backends: map[string]string{
		"jsonrpc": chain.BackendURL, "rest": chain.BackendURL, "grpc": chain.BackendURL,
	}})
}

// relayAs builds RelayRequests for one session as app1, ring-signed over {app1, gateway1}, and
// checks answers with supplier1's key.
type relayAs struct {
	header      sessiontypes.SessionHeader
	app, gw     *secp256k1.PrivKey
	supPub      cryptotypes.PubKey
	relayerURL  string
	minedHashes map[string]int // payload hash of every answer the relayer must mine, hex → count
}

// request builds the POKTHTTPRequest with relayer/client's payload builder and signs the relay.
func (ra *relayAs) request(t *testing.T, p client.Payload) *servicetypes.RelayRequest {
	t.Helper()
	_, payload, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	h := ra.header
	q := &servicetypes.RelayRequest{
		Meta:    servicetypes.RelayRequestMetadata{SessionHeader: &h, SupplierOperatorAddress: chain.Accounts.Supplier.Address},
		Payload: payload,
	}
	signRequest(t, q, ra.app, ra.gw)
	return q
}

// send POSTs a relay with the given Rpc-Type and returns the open answer.
func (ra *relayAs) send(t *testing.T, ctx context.Context, q *servicetypes.RelayRequest, rpcType string) *http.Response {
	t.Helper()
	bz, err := q.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ra.relayerURL, bytes.NewReader(bz))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Rpc-Type", rpcType)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		t.Fatalf("relayer answered HTTP %d: %q", res.StatusCode, b)
	}
	return res
}

// verify checks one RelayResponse (a whole answer or a stream frame) with relayer/client's
// verifier — no relay miner error, this session, payload hash, supplier1's signature — and
// returns its POKTHTTPResponse.
func (ra *relayAs) verify(t *testing.T, raw []byte, what string) (*servicetypes.RelayResponse, *sdktypes.POKTHTTPResponse) {
	t.Helper()
	resp, err := client.VerifyResponse(raw, &ra.header, ra.supPub)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	hr := &sdktypes.POKTHTTPResponse{}
	if err := proto.Unmarshal(resp.Payload, hr); err != nil {
		t.Fatalf("%s: payload is not a POKTHTTPResponse: %v", what, err)
	}
	return resp, hr
}

// expectMined records the payload hash of a response the stream must hold.
func (ra *relayAs) expectMined(hash []byte) { ra.minedHashes[fmt.Sprintf("%x", hash)]++ }

// streamPayloadHash is the payload hash of a streamed relay as mined: POKTHTTPResponse{status,
// body: the whole stream as served}, no header map, deterministic.
func streamPayloadHash(t *testing.T, status int32, body []byte) []byte {
	t.Helper()
	bz, err := proto.MarshalOptions{Deterministic: true}.Marshal(&sdktypes.POKTHTTPResponse{StatusCode: uint32(status), BodyBz: body})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(bz)
	return sum[:]
}

// frames reads the stream frames of an answer as they arrive.
type frames struct {
	r   io.Reader
	buf []byte
	eof bool // the answer's body has ended
}

// next returns the next frame, or nil once the body has ended and no frame is left.
func (f *frames) next() ([]byte, error) {
	for {
		frame, rest, err := relayer.NextStreamFrame(f.buf, f.eof)
		if err == nil {
			f.buf = rest
			return frame, nil
		}
		if f.eof {
			return nil, nil
		}
		var b [4096]byte
		n, rerr := f.r.Read(b[:])
		f.buf = append(f.buf, b[:n]...)
		switch {
		case rerr == io.EOF:
			f.eof = true
		case rerr != nil:
			return nil, rerr
		}
	}
}

func sseStream(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "id: %d\ndata: {\"n\":%d}\n\n", i, i)
	}
	return b.String()
}

func headerValue(h map[string]*sdktypes.Header, name string) []string {
	for k, v := range h {
		if strings.EqualFold(k, name) && v != nil {
			return v.Values
		}
	}
	return nil
}

// TestGRPCAndSSERelaysSettle: app1 → our relayer → backend-server → Redis → our miner → chain,
// for the new transports. In one fresh session: gRPC Echo relays (Rpc-Type 1) come back signed
// with grpc-status 0 and the echoed message; whole SSE streams come back as signed frames that
// reassemble the backend's stream; an SSE stream whose second event is an hour away delivers
// its first frame before the stream can end (the client then leaves, and the relay is mined as
// served). Every relay is in supplier1's stream once, with the session and the payload hash of
// the answer as served; the session is claimed, proven (VALIDATED) and settled with num_relays
// equal to the relays sent.
func TestGRPCAndSSERelaysSettle(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	r := startStreamRelayer(t, ctx)
	m := startMiner(t, ctx, r, "miner-stream")
	waitFor(t, ctx, 60*time.Second, "miner-stream owns supplier1", m.owns)
	t.Logf("relayer and miner ready, supplier owned after %s", time.Since(start).Round(time.Millisecond))

	sess := freshSession(t, ctx)
	// Our relayer follows blocks a little behind the chain: send once it has reached the session.
	relayerAt := &ourMiner{opsURL: r.opsURL} // only its /metrics reader
	waitFor(t, ctx, 30*time.Second, "relayer reaches the session start", func() bool {
		return relayerAt.metric("relayminer_block_height") >= float64(sess.StartHeight)
	})
	ra := &relayAs{
		header: sessiontypes.SessionHeader{
			ApplicationAddress: chain.Accounts.Application.Address, ServiceId: chain.ServiceID, SessionId: sess.ID,
			SessionStartBlockHeight: sess.StartHeight, SessionEndBlockHeight: sess.EndHeight,
		},
		app: derive(t, chain.Accounts.Application.Mnemonic), gw: derive(t, chain.Accounts.Gateway.Mnemonic),
		supPub: derive(t, chain.Accounts.Supplier.Mnemonic).PubKey(), relayerURL: r.url, minedHashes: map[string]int{},
	}
	sent := 0

	// (1) gRPC: POST /backend.v1.Backend/Echo, application/grpc, one length-prefixed message.
	for i := range grpcE2ERelays {
		want := fmt.Sprintf("grpc e2e %d of session %s", i, sess.ID)
		msg, err := proto.Marshal(wrapperspb.Bytes([]byte(want)))
		if err != nil {
			t.Fatal(err)
		}
		q := ra.request(t, client.Payload{Transport: client.TransportREST, Method: http.MethodPost, Path: backend.GRPCEchoMethod,
			Header: http.Header{"Content-Type": {"application/grpc"}}, Body: relayer.AppendGRPCMessage(nil, msg)})
		res := ra.send(t, ctx, q, "1")
		raw, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			t.Fatalf("grpc relay %d: read: %v", i, err)
		}
		resp, hr := ra.verify(t, raw, fmt.Sprintf("grpc relay %d", i))
		if st := headerValue(hr.Header, "grpc-status"); len(st) != 1 || st[0] != "0" {
			t.Fatalf("grpc relay %d: grpc-status %v, want [0] (HTTP %d, headers %v)", i, st, hr.StatusCode, hr.Header)
		}
		msgs, err := relayer.GRPCMessages(hr.BodyBz, 1<<20)
		if err != nil || len(msgs) != 1 || msgs[0].Compressed {
			t.Fatalf("grpc relay %d: messages %v: %v", i, msgs, err)
		}
		out := &wrapperspb.BytesValue{}
		if err := proto.Unmarshal(msgs[0].Data, out); err != nil || string(out.Value) != want {
			t.Fatalf("grpc relay %d: echo %q (%v), want %q", i, out.Value, err, want)
		}
		ra.expectMined(resp.PayloadHash)
		sent++
	}
	t.Logf("%d gRPC relays: signed by supplier1, grpc-status 0, message echoed", grpcE2ERelays)

	// (2) SSE: GET /stream/sse with Accept text/event-stream over the REST rpc type.
	sse := func(query string) *servicetypes.RelayRequest {
		return ra.request(t, client.Payload{Transport: client.TransportREST, Method: http.MethodGet, Path: "/stream/sse?" + query,
			Header: http.Header{"Accept": {"text/event-stream"}}})
	}
	wantStream := sseStream(sseE2EEvents)
	for i := range sseE2ERelays {
		res := ra.send(t, ctx, sse(fmt.Sprintf("count=%d&interval=20ms", sseE2EEvents)), "4")
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
			res.Body.Close()
			t.Fatalf("sse relay %d: Content-Type %q", i, ct)
		}
		fr := &frames{r: res.Body}
		var got bytes.Buffer
		n := 0
		for {
			frame, err := fr.next()
			if err != nil {
				t.Fatalf("sse relay %d: frame %d: %v", i, n, err)
			}
			if frame == nil {
				break
			}
			_, hr := ra.verify(t, frame, fmt.Sprintf("sse relay %d frame %d", i, n))
			if hr.StatusCode != http.StatusOK {
				t.Fatalf("sse relay %d frame %d: status %d", i, n, hr.StatusCode)
			}
			got.Write(hr.BodyBz)
			n++
		}
		res.Body.Close()
		if got.String() != wantStream {
			t.Fatalf("sse relay %d: %d frames reassemble\n%q\nwant the backend's stream\n%q", i, n, got.String(), wantStream)
		}
		// The trailer carries the mined response: its hash covers the whole stream.
		mined := &servicetypes.RelayResponse{}
		tb, err := base64.StdEncoding.DecodeString(res.Trailer.Get(relayer.StreamTrailer))
		if err != nil || mined.Unmarshal(tb) != nil {
			t.Fatalf("sse relay %d: trailer %q: %v", i, res.Trailer.Get(relayer.StreamTrailer), err)
		}
		if want := streamPayloadHash(t, http.StatusOK, []byte(wantStream)); !bytes.Equal(mined.PayloadHash, want) {
			t.Fatalf("sse relay %d: trailer's payload hash does not cover the whole stream", i)
		}
		if err := mined.VerifySupplierOperatorSignature(ra.supPub); err != nil {
			t.Fatalf("sse relay %d: trailer's signature: %v", i, err)
		}
		ra.expectMined(mined.PayloadHash)
		sent++
		t.Logf("sse relay %d: %d signed frames reassemble the %d-event stream", i, n, sseE2EEvents)
	}

	// (2b) First frame before the end: the backend's second event is an hour away, so the
	// stream cannot have ended when the first frame is read. The client then goes away; the
	// relay is mined once, as served (the first event).
	{
		sctx, scancel := context.WithCancel(ctx)
		res := ra.send(t, sctx, sse("count=2&interval=1h"), "4")
		fr := &frames{r: res.Body}
		frame, err := fr.next()
		if err != nil || frame == nil {
			scancel()
			t.Fatalf("early sse relay: first frame: %v", err)
		}
		_, hr := ra.verify(t, frame, "early sse relay frame 0")
		first := sseStream(1)
		if string(hr.BodyBz) != first || hr.StatusCode != http.StatusOK {
			scancel()
			t.Fatalf("early sse relay: first frame %d %q, want 200 %q", hr.StatusCode, hr.BodyBz, first)
		}
		if fr.eof {
			scancel()
			t.Fatal("early sse relay: the answer had ended when its first frame was read")
		}
		scancel()
		res.Body.Close()
		ra.expectMined(streamPayloadHash(t, http.StatusOK, []byte(first)))
		sent++
		t.Log("early sse relay: first signed frame read while the stream was open; client left")
	}

	// (3) Supplier1's stream: every relay once, this session, the payload hash as answered.
	got := r.waitEntries(t, ctx, sent)
	if len(got) != sent {
		t.Fatalf("stream holds %d relays, %d were sent", len(got), sent)
	}
	left := map[string]int{}
	for k, v := range ra.minedHashes {
		left[k] = v
	}
	for i, e := range got {
		if e.Supplier != chain.Accounts.Supplier.Address || e.Application != ra.header.ApplicationAddress || e.ServiceID != chain.ServiceID ||
			e.SessionID != sess.ID || e.SessionStartHeight != sess.StartHeight || e.SessionEndHeight != sess.EndHeight {
			t.Fatalf("entry %d: %+v, want session %+v", i, e, sess)
		}
		var relay servicetypes.Relay
		if err := relay.Unmarshal(e.Relay); err != nil || relay.Res == nil {
			t.Fatalf("entry %d: not a relay: %v", i, err)
		}
		if err := relay.Res.VerifySupplierOperatorSignature(ra.supPub); err != nil {
			t.Fatalf("entry %d: mined response signature: %v", i, err)
		}
		k := fmt.Sprintf("%x", relay.Res.PayloadHash)
		if left[k] == 0 {
			t.Fatalf("entry %d: mined payload hash %s matches no answer served (or is mined twice)", i, k)
		}
		left[k]--
	}
	per := relaysBySessionEnd(got)
	t.Logf("%d relays (%d gRPC, %d SSE) published for session %s [%d,%d]",
		len(got), grpcE2ERelays, sseE2ERelays+1, sess.ID, sess.StartHeight, sess.EndHeight)

	settled, _ := assertSettled(t, ctx, per)
	if settled != int64(sent) {
		t.Fatalf("chain settled %d relays, %d were sent", settled, sent)
	}
	t.Logf("all %d relays settled, test took %s", settled, time.Since(start).Round(time.Millisecond))
}
