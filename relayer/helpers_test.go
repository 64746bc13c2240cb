package relayer

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	apptypes "github.com/pokt-network/poktroll/x/application/types"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	sdktypes "github.com/pokt-network/shannon-sdk/types"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"

	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/query"
	"github.com/shannon-ops/pocket-relay-miner/relayer/meter"
	"github.com/shannon-ops/pocket-relay-miner/relayer/ring"
	"github.com/shannon-ops/pocket-relay-miner/transport"
)

const testService = "develop-http"

// fakeChain is a chain with one application (delegating to one gateway), one session
// [1, 10] of testService with the supplier in it, default shared params, CUPR 7 and the base
// difficulty. It counts queries.
type fakeChain struct {
	params   sharedtypes.Params
	app      apptypes.Application
	pubkeys  map[string]cryptotypes.PubKey
	session  sessiontypes.Session
	cupr     uint64
	target   []byte
	queries  atomic.Int64
	reloads  atomic.Int64 // ReloadApplication calls (also counted in queries)
	failWith error        // every query fails with it when set
}

func (c *fakeChain) count() error { c.queries.Add(1); return c.failWith }

func (c *fakeChain) Session(_ context.Context, app, service string, height int64) (*sessiontypes.Session, error) {
	if err := c.count(); err != nil {
		return nil, err
	}
	h := c.session.Header
	if app != h.ApplicationAddress || service != h.ServiceId || height < h.SessionStartBlockHeight || height > h.SessionEndBlockHeight {
		return nil, fmt.Errorf("session: %w", query.ErrNotFound)
	}
	return &c.session, nil
}

func (c *fakeChain) SharedParamsAt(context.Context, int64) (*sharedtypes.Params, error) {
	return &c.params, c.count()
}

func (c *fakeChain) Application(_ context.Context, a string) (*apptypes.Application, error) {
	if err := c.count(); err != nil {
		return nil, err
	}
	if a != c.app.Address {
		return nil, fmt.Errorf("application: %w", query.ErrNotFound)
	}
	return &c.app, nil
}

func (c *fakeChain) ReloadApplication(ctx context.Context, a string) (*apptypes.Application, error) {
	c.reloads.Add(1)
	return c.Application(ctx, a)
}

func (c *fakeChain) AccountPubKey(_ context.Context, a string) (cryptotypes.PubKey, error) {
	if err := c.count(); err != nil {
		return nil, err
	}
	pk, ok := c.pubkeys[a]
	if !ok {
		return nil, fmt.Errorf("account: %w", query.ErrNotFound)
	}
	return pk, nil
}

func (c *fakeChain) CUPRAt(context.Context, string, int64) (uint64, error) { return c.cupr, c.count() }

func (c *fakeChain) DifficultyAt(_ context.Context, svc string, h int64) (*servicetypes.RelayMiningDifficulty, error) {
	return &servicetypes.RelayMiningDifficulty{ServiceId: svc, BlockHeight: h, TargetHash: c.target}, c.count()
}

type fakeHeights struct{ h atomic.Int64 }

func (f *fakeHeights) Height() int64 { return f.h.Load() }

// countingSigner wraps a key and counts signatures.
type countingSigner struct {
	key *secp256k1.PrivKey
	n   atomic.Int64
}

func (s *countingSigner) Sign(msg []byte) ([]byte, error) { s.n.Add(1); return s.key.Sign(msg) }

type keyStore map[string]Signer

func (k keyStore) Signer(op string) (Signer, bool) { s, ok := k[op]; return s, ok }

// fakeBackend answers every relay with status and body, or fails with err.
type fakeBackend struct {
	status  int
	body    []byte
	err     error
	healthy atomic.Bool
	calls   atomic.Int64
}

func (b *fakeBackend) Relay(_ context.Context, req *sdktypes.POKTHTTPRequest, _ *RelayContext) ([]byte, int, error) {
	b.calls.Add(1)
	if b.err != nil {
		return nil, 0, b.err
	}
	resp := &sdktypes.POKTHTTPResponse{StatusCode: uint32(b.status), BodyBz: b.body,
		Header: map[string]*sdktypes.Header{"Content-Type": {Key: "Content-Type", Values: []string{"application/json"}}}}
	bz, err := proto.MarshalOptions{Deterministic: true}.Marshal(resp)
	return bz, b.status, err
}

func (b *fakeBackend) Healthy() bool { return b.healthy.Load() }

// fakePublisher collects published relays.
type fakePublisher struct {
	mu    sync.Mutex
	got   []transport.Message
	full  bool
	added chan struct{}
}

func (p *fakePublisher) Enqueue(m transport.Message) bool {
	if p.full {
		return false
	}
	p.mu.Lock()
	p.got = append(p.got, m)
	p.mu.Unlock()
	select {
	case p.added <- struct{}{}:
	default:
	}
	return true
}

func (p *fakePublisher) relays() []transport.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]transport.Message(nil), p.got...)
}

// fakeMeter allows up to budget relays; err makes it fail open, or closed with failClosed.
type fakeMeter struct {
	mu         sync.Mutex
	budget     int
	consumed   int
	refunds    int
	err        error
	failClosed bool
}

func (m *fakeMeter) Consume(context.Context, string, *sessiontypes.SessionHeader) (meter.Decision, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		if m.failClosed {
			return meter.Decision{Outcome: meter.OutcomeFailClosed}, m.err
		}
		return meter.Decision{Outcome: meter.OutcomeFailOpen}, m.err
	}
	if m.consumed >= m.budget {
		return meter.Decision{Outcome: meter.OutcomeOverServiced}, nil
	}
	m.consumed++
	return meter.Decision{Outcome: meter.OutcomeAllowed}, nil
}

func (m *fakeMeter) Refund(context.Context, string, *sessiontypes.SessionHeader) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.consumed--
	m.refunds++
	return nil
}

func (m *fakeMeter) state() (consumed, refunds int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.consumed, m.refunds
}

// fixture is a relayer over fakes with real keys and real crypto.
type fixture struct {
	t                     testing.TB
	appKey, gwKey, supKey *secp256k1.PrivKey
	otherSupKey           *secp256k1.PrivKey // held, but not in the session
	app, gw, sup, other   string
	chain                 *fakeChain
	heights               *fakeHeights
	signer                *countingSigner
	backend               *fakeBackend
	pub                   *fakePublisher
	meter                 *fakeMeter
	reg                   *prometheus.Registry
	srv                   *Server
	signRing              *ring.Ring
	header                sessiontypes.SessionHeader
	cfg                   *config.Relayer
	realMeter             Meter // replaces the fake meter when an option sets it
	redisUp, keysLoaded   func() bool
	ready                 func(bool, string) // Deps.Ready
	realChain             Chain              // replaces the fake chain when an option sets it
	blocks                func() BlockStream
}

func addr(k *secp256k1.PrivKey) string { return sdk.AccAddress(k.PubKey().Address()).String() }

func key(seed string) *secp256k1.PrivKey { return secp256k1.GenPrivKeyFromSecret([]byte(seed)) }

type fixtureOption func(*fixture)

func optimistic(f *fixture) { f.cfg.Services[testService].ValidationMode = config.ValidationOptimistic }

func newFixture(t testing.TB, opts ...fixtureOption) *fixture {
	t.Helper()
	if err := query.SetAccountPrefix(); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, appKey: key("app"), gwKey: key("gateway"), supKey: key("supplier"), otherSupKey: key("other")}
	f.app, f.gw, f.sup, f.other = addr(f.appKey), addr(f.gwKey), addr(f.supKey), addr(f.otherSupKey)
	f.header = sessiontypes.SessionHeader{
		ApplicationAddress: f.app, ServiceId: testService, SessionId: "c0ffee",
		SessionStartBlockHeight: 1, SessionEndBlockHeight: 10,
	}
	hdr := f.header
	f.chain = &fakeChain{
		params: sharedtypes.DefaultParams(),
		app:    apptypes.Application{Address: f.app, DelegateeGatewayAddresses: []string{f.gw}},
		pubkeys: map[string]cryptotypes.PubKey{
			f.app: f.appKey.PubKey(), f.gw: f.gwKey.PubKey(),
		},
		session: sessiontypes.Session{Header: &hdr, SessionId: hdr.SessionId,
			Suppliers: []*sharedtypes.Supplier{{OperatorAddress: f.sup}}},
		cupr:   7,
		target: bytes.Repeat([]byte{0xff}, 32),
	}
	f.heights = &fakeHeights{}
	f.heights.h.Store(5)
	f.signer = &countingSigner{key: f.supKey}
	f.backend = &fakeBackend{status: 200, body: []byte(`{"jsonrpc":"2.0","id":1,"result":"0x10"}`)}
	f.backend.healthy.Store(true)
	f.pub = &fakePublisher{added: make(chan struct{}, 1024)}
	f.meter = &fakeMeter{budget: 1 << 30}
	f.reg = prometheus.NewRegistry()
	f.cfg = &config.Relayer{
		ListenAddr: "127.0.0.1:0", DefaultValidationMode: config.ValidationEager, DefaultMaxBodyBytes: 1 << 20,
		Services: map[string]*config.Service{testService: {MaxBodyBytes: 64 << 10, Backends: map[config.RPCType]*config.Backend{
			config.RPCJSONRPC: {URL: "http://127.0.0.1:1"}, config.RPCREST: {URL: "http://127.0.0.1:1"},
		}}},
		Publish: config.Publish{Backlog: 1000, Workers: 2}, ShutdownTimeout: 5e9,
	}
	for _, o := range opts {
		o(f)
	}
	var m Meter = f.meter
	if f.realMeter != nil {
		m = f.realMeter
	}
	var chain Chain = f.chain
	if f.realChain != nil {
		chain = f.realChain
	}
	verifier := ring.New(ring.Config{})
	srv, err := New(f.cfg, Deps{
		Chain: chain, Heights: f.heights, Verifier: verifier, Meter: m, Publisher: f.pub,
		Keys:       keyStore{f.sup: f.signer, f.other: &countingSigner{key: f.otherSupKey}},
		Backends:   map[string]map[config.RPCType]Backend{testService: {config.RPCJSONRPC: f.backend, config.RPCREST: f.backend}},
		Registerer: f.reg, Log: zerolog.Nop(), RedisUp: f.redisUp, KeysLoaded: f.keysLoaded, Ready: f.ready, Blocks: f.blocks,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	t.Cleanup(srv.Close)
	f.signRing, err = verifier.PrepareRing([][]byte{f.appKey.PubKey().Bytes(), f.gwKey.PubKey().Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var testPayload = func() []byte {
	bz, err := proto.Marshal(&sdktypes.POKTHTTPRequest{Method: "POST", Url: "http://x/", BodyBz: []byte(`{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}`),
		Header: map[string]*sdktypes.Header{"Content-Type": {Key: "Content-Type", Values: []string{"application/json"}}}})
	if err != nil {
		panic(err)
	}
	return bz
}()

// request builds a ring-signed RelayRequest (signed by signer, the app by default) after mut.
func (f *fixture) request(mut func(*servicetypes.RelayRequest), signer ...*secp256k1.PrivKey) *servicetypes.RelayRequest {
	f.t.Helper()
	h := f.header
	req := &servicetypes.RelayRequest{
		Meta:    servicetypes.RelayRequestMetadata{SessionHeader: &h, SupplierOperatorAddress: f.sup},
		Payload: testPayload,
	}
	if mut != nil {
		mut(req)
	}
	k, r := f.appKey, f.signRing
	if len(signer) > 0 {
		k = signer[0]
		var err error
		if r, err = ring.New(ring.Config{}).PrepareRing([][]byte{k.PubKey().Bytes(), f.gwKey.PubKey().Bytes()}); err != nil {
			f.t.Fatal(err)
		}
	}
	hash, err := req.GetSignableBytesHash()
	if err != nil {
		f.t.Fatal(err)
	}
	if req.Meta.Signature, err = ring.Sign(r, hash, k.Key); err != nil {
		f.t.Fatal(err)
	}
	return req
}

func (f *fixture) body(req *servicetypes.RelayRequest) []byte {
	bz, err := req.Marshal()
	if err != nil {
		f.t.Fatal(err)
	}
	return bz
}

// serve posts body with optional headers and decodes the RelayResponse.
func (f *fixture) serve(body []byte, hdr ...string) (*servicetypes.RelayResponse, []byte) {
	f.t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		f.t.Fatalf("HTTP status %d, want 200", w.Code)
	}
	resp := &servicetypes.RelayResponse{}
	if err := resp.Unmarshal(w.Body.Bytes()); err != nil {
		f.t.Fatalf("decode response: %v", err)
	}
	return resp, w.Body.Bytes()
}

// rejected reads relays_rejected_total for the service ("unknown" for s.unknown).
func (f *fixture) rejected(service string, r reason) float64 {
	svc := f.srv.unknown
	if service != unknownServiceLabel {
		svc = f.srv.services[service]
	}
	return counterValue(svc.rejected[r])
}

func (f *fixture) postOutcome(o outcome) float64 {
	return counterValue(f.srv.services[testService].post[o])
}

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	return m.GetCounter().GetValue()
}
