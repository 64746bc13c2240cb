package relayer

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

	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sdktypes "github.com/pokt-network/shannon-sdk/types"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	tiltbackend "github.com/shannon-ops/pocket-relay-miner/tilt/backend"
)

func sseRequest(query string) *sdktypes.POKTHTTPRequest {
	return &sdktypes.POKTHTTPRequest{Method: "GET", Url: "http://gateway/stream/sse?" + query,
		Header: map[string]*sdktypes.Header{"Accept": {Key: "Accept", Values: []string{"text/event-stream"}}}}
}

// The first SSE event reaches the client while the backend is still streaming: the backend
// waits an hour before its second event, and the test only ever waits on events.
func TestStreamFirstFrameBeforeBackendEnds(t *testing.T) {
	tf := newTiltFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := tf.post(ctx, tf.httpRequest(sseRequest("count=3&interval=1h")), "3")
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type %q", ct)
	}
	fr := &frameReader{r: res.Body}
	frame, err := fr.next()
	if err != nil || frame == nil {
		t.Fatalf("first frame: %v", err)
	}
	hr := tf.verifiedFrame(frame)
	if want := "id: 1\ndata: {\"n\":1}\n\n"; string(hr.BodyBz) != want || hr.StatusCode != 200 {
		t.Fatalf("first frame %d %q, want 200 %q", hr.StatusCode, hr.BodyBz, want)
	}
	select {
	case <-tf.backendDone:
		t.Fatal("the backend finished before the client had the first event")
	default:
	}
	cancel() // the client goes away: the backend is released, the relay mined once as served
	<-tf.backendDone
	tf.waitPublished(1)
	assertMinedBody(t, tf, "id: 1\ndata: {\"n\":1}\n\n")
}

// assertMinedBody checks the published relay's response: payload hash of the whole stream
// as served, supplier signature valid.
func assertMinedBody(t *testing.T, tf *tiltFixture, body string) {
	t.Helper()
	relay := &servicetypes.Relay{}
	if err := relay.Unmarshal(tf.pub.relays()[0].Relay); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(appendStreamPayload(nil, 200, []byte(body)))
	if !bytes.Equal(relay.Res.PayloadHash, want[:]) {
		t.Fatalf("mined payload hash does not cover the stream %q", body)
	}
	if err := relay.Res.VerifySupplierOperatorSignature(tf.supKey.PubKey()); err != nil {
		t.Fatalf("mined response signature: %v", err)
	}
}

// A whole SSE or NDJSON stream: every frame verifies, the frames concatenate to the backend's
// stream, the trailer carries the mined response and exactly one relay is published.
func TestStreamWholeStream(t *testing.T) {
	for _, tc := range []struct{ path, accept, want string }{
		{"/stream/sse", "text/event-stream", sseEvents(40)},
		{"/stream/ndjson", "application/x-ndjson", ndjsonLines(40)},
	} {
		t.Run(tc.path, func(t *testing.T) {
			tf := newTiltFixture(t)
			hr := &sdktypes.POKTHTTPRequest{Method: "GET", Url: "http://gateway" + tc.path + "?count=40&interval=1ms",
				Header: map[string]*sdktypes.Header{"Accept": {Key: "Accept", Values: []string{tc.accept}}}}
			res := tf.post(context.Background(), tf.httpRequest(hr), "4")
			defer res.Body.Close()
			fr := &frameReader{r: res.Body}
			var got bytes.Buffer
			frames := 0
			for {
				frame, err := fr.next()
				if err != nil {
					t.Fatal(err)
				}
				if frame == nil {
					break
				}
				frames++
				got.Write(tf.verifiedFrame(frame).BodyBz)
			}
			if got.String() != tc.want {
				t.Fatalf("stream\n%q\nwant\n%q", got.String(), tc.want)
			}
			if frames < 2 {
				t.Fatalf("%d frames: the stream was not framed as it arrived", frames)
			}
			trailer := &servicetypes.RelayResponse{}
			bz, err := base64.StdEncoding.DecodeString(res.Trailer.Get(StreamTrailer))
			if err != nil || trailer.Unmarshal(bz) != nil {
				t.Fatalf("trailer %q: %v", res.Trailer.Get(StreamTrailer), err)
			}
			tf.waitPublished(1)
			assertMinedBody(t, tf, tc.want)
			relay := &servicetypes.Relay{}
			_ = relay.Unmarshal(tf.pub.relays()[0].Relay)
			if !bytes.Equal(relay.Res.PayloadHash, trailer.PayloadHash) || !bytes.Equal(relay.Res.Meta.SupplierOperatorSignature, trailer.Meta.SupplierOperatorSignature) {
				t.Fatal("the trailer is not the mined response")
			}
		})
	}
}

func sseEvents(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "id: %d\ndata: {\"n\":%d}\n\n", i, i)
	}
	return b.String()
}

func ndjsonLines(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "{\"n\":%d}\n", i)
	}
	return b.String()
}

// A request that may stream but gets a plain answer is answered like a synchronous relay.
func TestStreamCandidateWithPlainAnswer(t *testing.T) {
	tf := newTiltFixture(t)
	hr := &sdktypes.POKTHTTPRequest{Method: "POST", Url: "http://gateway/",
		Header: map[string]*sdktypes.Header{"Content-Type": {Key: "Content-Type", Values: []string{"application/json"}}},
		BodyBz: []byte(`{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[],"stream":true}`)}
	res := tf.post(context.Background(), tf.httpRequest(hr), "3")
	defer res.Body.Close()
	bz, _ := io.ReadAll(res.Body)
	resp := &servicetypes.RelayResponse{}
	if err := resp.Unmarshal(bz); err != nil {
		t.Fatal(err)
	}
	if p := tf.verified(resp); p.StatusCode != 200 || !bytes.Contains(p.BodyBz, []byte(`"result"`)) {
		t.Fatalf("answer %d %s", p.StatusCode, p.BodyBz)
	}
	tf.waitPublished(1)
}

// A gRPC relay (Rpc-Type 1) reaches the backend's gRPC service over h2c and comes back signed,
// with grpc-status from the trailers, and is mined like an HTTP relay.
func TestGRPCRelayRoundTrip(t *testing.T) {
	tf := newTiltFixture(t)
	msg, err := proto.Marshal(wrapperspb.Bytes([]byte("hello grpc")))
	if err != nil {
		t.Fatal(err)
	}
	hr := &sdktypes.POKTHTTPRequest{Method: "POST", Url: "http://gateway" + tiltbackend.GRPCEchoMethod,
		Header: map[string]*sdktypes.Header{
			"Content-Type": {Key: "Content-Type", Values: []string{"application/grpc"}},
			"Te":           {Key: "Te", Values: []string{"trailers"}},
		},
		BodyBz: AppendGRPCMessage(nil, msg)}
	res := tf.post(context.Background(), tf.httpRequest(hr), "1")
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d", res.StatusCode)
	}
	bz, _ := io.ReadAll(res.Body)
	resp := &servicetypes.RelayResponse{}
	if err := resp.Unmarshal(bz); err != nil {
		t.Fatal(err)
	}
	p := tf.verified(resp)
	if st := p.Header["Grpc-Status"]; st == nil || len(st.Values) != 1 || st.Values[0] != "0" {
		t.Fatalf("grpc-status %v (headers %v)", st, p.Header)
	}
	msgs, err := GRPCMessages(p.BodyBz, 1<<20)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("messages %v: %v", msgs, err)
	}
	out := &wrapperspb.BytesValue{}
	if err := proto.Unmarshal(msgs[0].Data, out); err != nil || string(out.Value) != "hello grpc" {
		t.Fatalf("echo %q: %v", out.Value, err)
	}
	tf.waitPublished(1)
	if v := counterValue(tf.srv.streams.bySvc[testService].grpc); v != 1 {
		t.Fatalf("grpc_relays_total %v", v)
	}
}

// A malformed gRPC body is refused before the backend is called.
func TestGRPCMalformedBody(t *testing.T) {
	tf := newTiltFixture(t)
	hr := &sdktypes.POKTHTTPRequest{Method: "POST", Url: "http://gateway" + tiltbackend.GRPCEchoMethod,
		Header: map[string]*sdktypes.Header{"Content-Type": {Key: "Content-Type", Values: []string{"application/grpc"}}},
		BodyBz: []byte{0, 0, 0, 0, 9, 1}}
	res := tf.post(context.Background(), tf.httpRequest(hr), "1")
	defer res.Body.Close()
	bz, _ := io.ReadAll(res.Body)
	resp := &servicetypes.RelayResponse{}
	if err := resp.Unmarshal(bz); err != nil || resp.RelayMinerError == nil {
		t.Fatalf("want an error reply, got %v (%v)", resp, err)
	}
	if v := tf.rejected(testService, reasonMalformed); v != 1 {
		t.Fatalf("rejected{malformed} = %v", v)
	}
}
