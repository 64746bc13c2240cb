package relayer

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sdktypes "github.com/pokt-network/shannon-sdk/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"

	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/relayer/backend"
	"github.com/shannon-ops/pocket-relay-miner/relayer/ring"
	tiltbackend "github.com/shannon-ops/pocket-relay-miner/tilt/backend"
)

// tiltFixture is a fixture whose relayer talks to a real tilt/backend (HTTP, SSE, NDJSON and
// gRPC over h2c on one port) through backend pools, served on a real listener.
type tiltFixture struct {
	*fixture
	relayURL    string
	backendDone chan struct{} // receives once per finished backend HTTP handler
}

func newTiltFixture(t *testing.T) *tiltFixture {
	t.Helper()
	return newTiltFixtureMaxResp(t, 0)
}

// newTiltFixtureMaxResp is newTiltFixture with every backend's max_response_bytes set to
// maxResp (0: the default), given to the pools as the relayer command gives it.
func newTiltFixtureMaxResp(t *testing.T, maxResp config.ByteSize) *tiltFixture {
	t.Helper()
	tb, err := tiltbackend.New(tiltbackend.Config{})
	if err != nil {
		t.Fatal(err)
	}
	tf := &tiltFixture{backendDone: make(chan struct{}, 64)}
	h := tb.Handler()
	bs := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { tf.backendDone <- struct{}{} }()
		h.ServeHTTP(w, r)
	}))
	tiltbackend.EnableH2C(bs.Config)
	bs.Start()
	t.Cleanup(func() { bs.CloseClientConnections(); bs.Close(); _ = tb.Close() })

	f := newFixture(t)
	f.srv.Close()
	b := func() *config.Backend {
		return &config.Backend{URL: config.Secret(bs.URL), Timeout: 5 * time.Second, MaxResponseBytes: maxResp}
	}
	f.cfg.Services[testService].Backends = map[config.RPCType]*config.Backend{
		config.RPCJSONRPC: b(), config.RPCREST: b(), config.RPCGRPC: b(),
	}
	pools := map[config.RPCType]Backend{}
	for rt, bc := range f.cfg.Services[testService].Backends {
		var opts []backend.Option
		if maxResp > 0 {
			opts = append(opts, backend.WithMaxResponseBytes(int64(maxResp)))
		}
		p, err := backend.New(testService, rt, bc, zerolog.Nop(), nil, opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		pools[rt] = PoolBackend(p)
	}
	f.reg = prometheus.NewRegistry()
	srv, err := New(f.cfg, Deps{
		Chain: f.chain, Heights: f.heights, Verifier: ring.New(ring.Config{}), Meter: f.meter, Publisher: f.pub,
		Keys:     keyStore{f.sup: f.signer},
		Backends: map[string]map[config.RPCType]Backend{testService: pools}, Registerer: f.reg, Log: zerolog.Nop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	t.Cleanup(srv.Close)
	rs := httptest.NewServer(srv)
	t.Cleanup(func() { rs.CloseClientConnections(); rs.Close() })
	tf.fixture, tf.relayURL = f, rs.URL
	return tf
}

// httpRequest builds a ring-signed relay carrying hr.
func (tf *tiltFixture) httpRequest(hr *sdktypes.POKTHTTPRequest) []byte {
	tf.t.Helper()
	payload, err := proto.Marshal(hr)
	if err != nil {
		tf.t.Fatal(err)
	}
	return tf.body(tf.request(func(r *servicetypes.RelayRequest) { r.Payload = payload }))
}

// post sends a relay body to the relayer and returns the open response.
func (tf *tiltFixture) post(ctx context.Context, body []byte, rpcType string) *http.Response {
	tf.t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tf.relayURL, bytes.NewReader(body))
	if err != nil {
		tf.t.Fatal(err)
	}
	req.Header.Set("Rpc-Type", rpcType)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tf.t.Fatal(err)
	}
	return res
}

// frameReader reads stream frames from r as they arrive.
type frameReader struct {
	r   io.Reader
	buf []byte
	eof bool
}

// next returns the next frame, or nil at the end of the stream.
func (fr *frameReader) next() ([]byte, error) {
	for {
		frame, rest, err := NextStreamFrame(fr.buf, fr.eof)
		if err == nil {
			fr.buf = rest
			return frame, nil
		}
		if fr.eof {
			return nil, nil
		}
		var b [4096]byte
		n, rerr := fr.r.Read(b[:])
		fr.buf = append(fr.buf, b[:n]...)
		if rerr == io.EOF {
			fr.eof = true
		} else if rerr != nil {
			return nil, rerr
		}
	}
}

// verifiedFrame decodes a frame, checks its payload hash and supplier signature and returns
// its POKTHTTPResponse.
func (tf *tiltFixture) verifiedFrame(frame []byte) *sdktypes.POKTHTTPResponse {
	tf.t.Helper()
	resp := &servicetypes.RelayResponse{}
	if err := resp.Unmarshal(frame); err != nil {
		tf.t.Fatalf("decode frame: %v", err)
	}
	return tf.verified(resp)
}

func (tf *tiltFixture) verified(resp *servicetypes.RelayResponse) *sdktypes.POKTHTTPResponse {
	tf.t.Helper()
	if resp.RelayMinerError != nil {
		tf.t.Fatalf("relay miner error: %v", resp.RelayMinerError)
	}
	if err := resp.VerifySupplierOperatorSignature(tf.supKey.PubKey()); err != nil {
		tf.t.Fatalf("supplier signature: %v", err)
	}
	if err := resp.ValidateBasic(); err != nil {
		tf.t.Fatalf("response: %v", err)
	}
	hr := &sdktypes.POKTHTTPResponse{}
	if err := proto.Unmarshal(resp.Payload, hr); err != nil {
		tf.t.Fatalf("decode payload: %v", err)
	}
	return hr
}

// waitPublished waits until n relays were published and asserts no more are.
func (tf *tiltFixture) waitPublished(n int) {
	tf.t.Helper()
	for len(tf.pub.relays()) < n {
		select {
		case <-tf.pub.added:
		case <-time.After(10 * time.Second):
			tf.t.Fatalf("published %d relays, want %d", len(tf.pub.relays()), n)
		}
	}
	tf.srv.post.StopAndWait() // every queued post job has run
	if got := len(tf.pub.relays()); got != n {
		tf.t.Fatalf("published %d relays, want %d", got, n)
	}
}
