package client

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	cosmossecp "github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	apptypes "github.com/pokt-network/poktroll/x/application/types"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	ringgo "github.com/pokt-network/ring-go"
	sdktypes "github.com/pokt-network/shannon-sdk/types"
	"google.golang.org/protobuf/proto"

	"github.com/shannon-ops/pocket-relay-miner/query"
	"github.com/shannon-ops/pocket-relay-miner/relayer/ring"
)

const service = "svc"

// testKey derives a deterministic key from a seed.
func testKey(t testing.TB, seed string) *Key {
	t.Helper()
	sum := sha256.Sum256([]byte(seed))
	k, err := newKey(sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// fakeChain serves one application (delegating to gateways), suppliers and sessions of 4
// blocks; height is set by the test.
type fakeChain struct {
	mu        sync.Mutex
	height    int64
	app       *Key
	gateways  []*Key
	suppliers []*Key
	endpoint  string
	keys      map[string]*Key
	sessions  atomic.Int64 // Session calls
}

func newFakeChain(t testing.TB, endpoint string) *fakeChain {
	c := &fakeChain{height: 10, app: testKey(t, "app"), gateways: []*Key{testKey(t, "gw")},
		suppliers: []*Key{testKey(t, "sup1")}, endpoint: endpoint, keys: map[string]*Key{}}
	for _, k := range append(append([]*Key{c.app}, c.gateways...), c.suppliers...) {
		c.keys[k.Address()] = k
	}
	return c
}

func (c *fakeChain) setHeight(h int64) { c.mu.Lock(); c.height = h; c.mu.Unlock() }

func (c *fakeChain) Session(_ context.Context, app, svc string, height int64) (*sessiontypes.Session, error) {
	c.sessions.Add(1)
	c.mu.Lock()
	if height == 0 {
		height = c.height
	}
	c.mu.Unlock()
	start := (height-1)/4*4 + 1
	h := &sessiontypes.SessionHeader{ApplicationAddress: app, ServiceId: svc,
		SessionId: fmt.Sprintf("session-%d", start), SessionStartBlockHeight: start, SessionEndBlockHeight: start + 3}
	s := &sessiontypes.Session{Header: h, SessionId: h.SessionId, SessionNumber: start / 4}
	for _, k := range c.suppliers {
		s.Suppliers = append(s.Suppliers, &sharedtypes.Supplier{OperatorAddress: k.Address(),
			Services: []*sharedtypes.SupplierServiceConfig{{ServiceId: svc, Endpoints: []*sharedtypes.SupplierEndpoint{
				{Url: c.endpoint + "/rest", RpcType: sharedtypes.RPCType_REST},
				{Url: c.endpoint, RpcType: sharedtypes.RPCType_JSON_RPC}}}}})
	}
	return s, nil
}

func (c *fakeChain) Application(_ context.Context, addr string) (*apptypes.Application, error) {
	a := &apptypes.Application{Address: addr}
	for _, g := range c.gateways {
		a.DelegateeGatewayAddresses = append(a.DelegateeGatewayAddresses, g.Address())
	}
	return a, nil
}

func (c *fakeChain) Account(_ context.Context, addr string) (query.Account, error) {
	k, ok := c.keys[addr]
	if !ok {
		return query.Account{}, fmt.Errorf("%w: %s", query.ErrNotFound, addr)
	}
	return query.Account{Address: addr, PubKey: k.priv.PubKey()}, nil
}

func (c *fakeChain) Status(context.Context) (query.Status, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return query.Status{LatestHeight: c.height}, nil
}

// ringKeys are the expected ring of the fake application: itself and its gateways.
func (c *fakeChain) ringKeys() [][]byte {
	out := [][]byte{c.app.PubKey()}
	for _, g := range c.gateways {
		out = append(out, g.PubKey())
	}
	return out
}

// How the fake relay miner answers.
type minerMode int

const (
	answerValid minerMode = iota
	answerTamperedPayloadHash
	answerTamperedPayload
	answerWrongSigner
	answerMinerError
	answerHTTP500
	answerBackend502
)

// fakeMiner is a relay miner that checks each request as a real one must (ring signature
// with ring-go and relayer/ring against the app's ring, payload decodes) and answers per mode.
type fakeMiner struct {
	t       testing.TB
	chain   *fakeChain
	mode    atomic.Int32
	signer  *cosmossecp.PrivKey
	wrong   *cosmossecp.PrivKey
	mu      sync.Mutex
	headers []*sessiontypes.SessionHeader // of every request served
	rpcType []string
	urls    []string
}

func newFakeMiner(t testing.TB) (*fakeMiner, *fakeChain) {
	m := &fakeMiner{t: t}
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	m.chain = newFakeChain(t, srv.URL)
	m.signer = m.chain.suppliers[0].priv
	m.wrong = testKey(t, "not-the-supplier").priv
	return m, m.chain
}

func (m *fakeMiner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := &servicetypes.RelayRequest{}
	if err := req.Unmarshal(body); err != nil {
		http.Error(w, "bad relay request", http.StatusBadRequest)
		return
	}
	hash, err := req.GetSignableBytesHash()
	if err != nil || !ringGoVerifies(m.chain.ringKeys(), hash, req.Meta.Signature) {
		m.t.Errorf("ring-go rejects the request signature")
	}
	v := ring.New(ring.Config{})
	rg, _ := v.PrepareRing(m.chain.ringKeys())
	if err := v.Verify(rg, hash, req.Meta.Signature); err != nil {
		m.t.Errorf("relayer/ring rejects the request signature: %v", err)
	}
	hr := &sdktypes.POKTHTTPRequest{}
	if err := proto.Unmarshal(req.Payload, hr); err != nil {
		m.t.Errorf("payload is not a POKTHTTPRequest: %v", err)
	}
	m.mu.Lock()
	m.headers = append(m.headers, req.Meta.SessionHeader)
	m.rpcType = append(m.rpcType, r.Header.Get("Rpc-Type"))
	m.urls = append(m.urls, r.URL.Path+" "+hr.Method+" "+hr.Url)
	m.mu.Unlock()
	w.Write(m.answer(req.Meta.SessionHeader, hr))
}

func (m *fakeMiner) answer(h *sessiontypes.SessionHeader, hr *sdktypes.POKTHTTPRequest) []byte {
	mode := minerMode(m.mode.Load())
	status := int32(200)
	if mode == answerBackend502 {
		status = 502
	}
	payload, _ := proto.Marshal(&sdktypes.POKTHTTPResponse{StatusCode: uint32(status), BodyBz: append([]byte("echo "), hr.BodyBz...)})
	resp := &servicetypes.RelayResponse{Meta: servicetypes.RelayResponseMetadata{SessionHeader: h}, Payload: payload}
	switch mode {
	case answerMinerError:
		resp.RelayMinerError = &servicetypes.RelayMinerError{Codespace: "relayer", Code: 7, Description: "over-serviced"}
		bz, _ := resp.Marshal()
		return bz
	case answerHTTP500:
		return nil
	}
	if err := resp.UpdatePayloadHash(); err != nil {
		m.t.Fatal(err)
	}
	key := m.signer
	if mode == answerWrongSigner {
		key = m.wrong
	}
	hash, _ := resp.GetSignableBytesHash()
	sig, err := key.Sign(hash[:])
	if err != nil {
		m.t.Fatal(err)
	}
	resp.Meta.SupplierOperatorSignature = sig
	switch mode {
	case answerTamperedPayloadHash:
		resp.PayloadHash[0] ^= 1
	case answerTamperedPayload:
		resp.Payload = append(resp.Payload, 0x00)
	}
	bz, _ := resp.Marshal()
	return bz
}

// ringGoVerifies is ring-go's Deserialize, poktroll's subset check and ring-go's Verify.
func ringGoVerifies(expected [][]byte, msg [32]byte, sig []byte) bool {
	curve := ringgo.Secp256k1()
	set := map[string]bool{}
	for _, k := range expected {
		p, err := curve.DecodeToPoint(k)
		if err != nil {
			return false
		}
		set[string(p.Encode())] = true
	}
	rs := new(ringgo.RingSig)
	if err := rs.Deserialize(curve, sig); err != nil {
		return false
	}
	for _, pk := range rs.PublicKeys() {
		if !set[string(pk.Encode())] {
			return false
		}
	}
	return rs.Verify(msg)
}
