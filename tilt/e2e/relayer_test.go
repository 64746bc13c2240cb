//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	sdktypes "github.com/pokt-network/shannon-sdk/types"
	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"

	"github.com/shannon-ops/pocket-relay-miner/relayer/ring"
	"github.com/shannon-ops/pocket-relay-miner/tilt/localnet"
	"github.com/shannon-ops/pocket-relay-miner/transport"
	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

// ourRelayer is our relayer running as a process of the stack.
type ourRelayer struct {
	bin, cfgPath string
	url, opsURL  string
	proc         *localnet.Proc
	rdb          *redis.Client
	stream       string
}

// relayerSpec is what differs between the relayers the e2e tests start.
type relayerSpec struct {
	name     string            // process name in the stack
	scheme   string            // scheme of ourRelayer.url: "http" (default) or "ws"
	backends map[string]string // rpc type → backend URL
}

// startRelayer starts our relayer for supplier1 with a jsonrpc backend (the backend-server).
func startRelayer(t *testing.T, ctx context.Context) *ourRelayer {
	return startRelayerWith(t, ctx, relayerSpec{name: "relayer", backends: map[string]string{"jsonrpc": chain.BackendURL}})
}

// startRelayerWith builds the binary and starts `pocket-relay-miner relayer` for supplier1 (its
// key from the chain's test keyring) with spec's backends, publishing to a fresh redis-server.
func startRelayerWith(t *testing.T, ctx context.Context, spec relayerSpec) *ourRelayer {
	t.Helper()
	root, err := localnet.RepoRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "pocket-relay-miner")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/pocket-relay-miner")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build relayer: %v\n%s", err, out)
	}
	rs := redistest.Start(t)
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	opsPort, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	addr, opsAddr := "127.0.0.1:"+strconv.Itoa(port), "127.0.0.1:"+strconv.Itoa(opsPort)
	var backends strings.Builder
	for _, rpcType := range slices.Sorted(maps.Keys(spec.backends)) {
		fmt.Fprintf(&backends, "      %s: {url: %q, timeout: 10s}\n", rpcType, spec.backends[rpcType])
	}
	cfg := fmt.Sprintf(`listen_addr: %s
redis: {url: %q, key_prefix: e2e}
pocket_node: {rpc_url: %q, grpc_addr: %q, grpc_insecure: true, block_time: 1s}
keys:
  keyring: {backend: test, dir: %q, key_names: [%s]}
default_max_body_bytes: 64KiB
services:
  %s:
    validation_mode: eager
    backends:
%smeter: {enabled: true, fail_mode: closed}
metrics: {enabled: true, addr: %s}
health: {addr: %s}
logging: {level: info, format: console}
shutdown_timeout: 10s
`, addr, rs.URL(), chain.RPCURL, chain.GRPCAddr, chain.Home, chain.Accounts.Supplier.Name,
		chain.ServiceID, backends.String(), opsAddr, opsAddr)
	cfgPath := filepath.Join(dir, "relayer.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := chain.StartProcess(ctx, localnet.ProcessSpec{Name: spec.name, Binary: bin, Addrs: []string{addr, opsAddr},
		Args: []string{"relayer", "--config", cfgPath}})
	if err != nil {
		t.Fatalf("start relayer: %v (log %s)", err, logTail(p))
	}
	scheme := spec.scheme
	if scheme == "" {
		scheme = "http"
	}
	r := &ourRelayer{bin: bin, cfgPath: cfgPath, url: scheme + "://" + addr, opsURL: "http://" + opsAddr, proc: p, rdb: rs.Client(),
		stream: transport.MustKeys("e2e").RelayStream(chain.Accounts.Supplier.Address)}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := p.Stop(sctx); err != nil {
			t.Errorf("stop relayer: %v", err)
		}
		t.Logf("relayer log tail:\n%s", logTail(p))
	})
	r.waitReady(t, ctx)
	return r
}

func logTail(p *localnet.Proc) string {
	if p == nil {
		return ""
	}
	b, _ := os.ReadFile(p.Log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// waitReady polls /ready until it answers 200 (block height known, keys, healthy backend).
func (r *ourRelayer) waitReady(t *testing.T, ctx context.Context) {
	t.Helper()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(90 * time.Second)
	for {
		resp, err := http.Get(r.opsURL + "/ready")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			_ = body
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("relayer not ready after 90s:\n%s", logTail(r.proc))
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}
}

// entries reads the supplier's stream.
func (r *ourRelayer) entries(t *testing.T, ctx context.Context) []transport.Message {
	t.Helper()
	xs, err := r.rdb.XRange(ctx, r.stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]transport.Message, 0, len(xs))
	for _, x := range xs {
		s, _ := x.Values[transport.MessageField].(string)
		m, err := transport.DecodeString(s)
		if err != nil {
			t.Fatalf("stream entry %s: %v", x.ID, err)
		}
		if err := m.VerifyHash(); err != nil {
			t.Fatalf("stream entry %s: %v", x.ID, err)
		}
		out = append(out, m)
	}
	return out
}

// waitEntries waits until the stream holds n entries.
func (r *ourRelayer) waitEntries(t *testing.T, ctx context.Context, n int) []transport.Message {
	t.Helper()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for {
		if got := r.entries(t, ctx); len(got) >= n {
			return got
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("stream has %d entries, want %d", len(r.entries(t, ctx)), n)
		}
	}
}

const relayerRelays = 10

// TestRelayerServesAndPublishes sends relays with poktroll's real client, which ring-signs as
// app1 and verifies our supplier signature, to our relayer; each relay must appear in
// supplier1's stream with the session header the client used. Then invalid relays get the
// right error reply and are not published.
func TestRelayerServesAndPublishes(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 6*time.Minute)
	defer cancel()
	r := startRelayer(t, ctx)
	app, svc := chain.Accounts.Application.Address, chain.ServiceID

	// Start on a fresh session so all relays fall into one session.
	cur, err := chain.CurrentSession(ctx, app, svc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chain.WaitHeight(ctx, cur.EndHeight+1); err != nil {
		t.Fatal(err)
	}
	sess, err := chain.CurrentSession(ctx, app, svc)
	if err != nil {
		t.Fatal(err)
	}
	res, err := chain.Relay(ctx, ethBlockNumber, relayerRelays, r.url)
	if err != nil {
		t.Fatalf("relay client: %v\n%s", err, res.Output)
	}
	if res.Succeeded != relayerRelays {
		t.Fatalf("client: %d of %d relays succeeded (signature verified, status 200):\n%s\nrelayer log:\n%s",
			res.Succeeded, relayerRelays, res.Output, logTail(r.proc))
	}
	got := r.waitEntries(t, ctx, relayerRelays)
	if len(got) != relayerRelays {
		t.Fatalf("stream holds %d relays, want %d", len(got), relayerRelays)
	}
	for i, m := range got {
		if m.Supplier != chain.Accounts.Supplier.Address || m.Application != app || m.ServiceID != svc ||
			m.SessionID != sess.ID || m.SessionStartHeight != sess.StartHeight || m.SessionEndHeight != sess.EndHeight ||
			m.ComputeUnitsPerRelay != chain.ComputeUnitsPerRelay {
			t.Fatalf("entry %d: %+v, want session %+v", i, m, sess)
		}
		var relay servicetypes.Relay
		if err := relay.Unmarshal(m.Relay); err != nil || relay.Res == nil || relay.Res.Payload != nil || len(relay.Res.PayloadHash) != 32 {
			t.Fatalf("entry %d: not a dehydrated relay: %v", i, err)
		}
	}
	t.Logf("%d relays served (client verified our signatures) and published to %s for session %s [%d,%d]",
		len(got), r.stream, sess.ID, sess.StartHeight, sess.EndHeight)

	testInvalidRelays(t, ctx, r, sess, len(got))
	testCheckStake(t, ctx, r)
}

// testCheckStake: supplier1 is staked for JSON_RPC, REST, WEBSOCKET and GRPC; the relayer
// config has a jsonrpc backend only, so `relayer validate --check-stake` reports JSON_RPC ok,
// REST and GRPC as falling back to the default (jsonrpc) backend as poktroll serves them, and
// WEBSOCKET (an upgrade has no fallback) as the one problem, and fails.
func testCheckStake(t *testing.T, ctx context.Context, r *ourRelayer) {
	out, err := exec.CommandContext(ctx, r.bin, "relayer", "validate", "--config", r.cfgPath, "--check-stake").CombinedOutput()
	if err == nil {
		t.Fatalf("check-stake passed with missing backends:\n%s", out)
	}
	for _, want := range []string{"JSON_RPC ok", "REST ok: no rest backend, falls back to the default jsonrpc backend",
		"GRPC ok: no grpc backend, falls back to the default jsonrpc backend", "WEBSOCKET staked but no websocket backend",
		"1 problem(s)"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Fatalf("check-stake output lacks %q:\n%s", want, out)
		}
	}
	t.Logf("relayer validate --check-stake:\n%s", out)
}

// testInvalidRelays posts crafted relays and checks each error reply; none is published.
func testInvalidRelays(t *testing.T, ctx context.Context, r *ourRelayer, sess localnet.SessionInfo, published int) {
	appKey := derive(t, chain.Accounts.Application.Mnemonic)
	gwKey := derive(t, chain.Accounts.Gateway.Mnemonic)
	header := sessiontypes.SessionHeader{
		ApplicationAddress: chain.Accounts.Application.Address, ServiceId: chain.ServiceID, SessionId: sess.ID,
		SessionStartBlockHeight: sess.StartHeight, SessionEndBlockHeight: sess.EndHeight,
	}
	cases := []struct {
		name      string
		signer    *secp256k1.PrivKey
		mutate    func(*servicetypes.RelayRequest)
		codespace string
		code      uint32
	}{
		{"bad signature", secp256k1.GenPrivKey(), nil, "rings", 3},
		{"wrong session", appKey, func(q *servicetypes.RelayRequest) { q.Meta.SessionHeader.SessionId = "deadbeef" }, "relay_authenticator", 1},
		{"foreign supplier", appKey, func(q *servicetypes.RelayRequest) {
			q.Meta.SupplierOperatorAddress = chain.Accounts.Gateway.Address
		}, "relayer_proxy", 9},
		{"oversized body", appKey, func(q *servicetypes.RelayRequest) { q.Payload = make([]byte, 100<<10) }, "relayer_proxy", 11},
	}
	for _, c := range cases {
		h := header
		q := &servicetypes.RelayRequest{
			Meta:    servicetypes.RelayRequestMetadata{SessionHeader: &h, SupplierOperatorAddress: chain.Accounts.Supplier.Address},
			Payload: jsonRPCPayload(t),
		}
		if c.mutate != nil {
			c.mutate(q)
		}
		signRequest(t, q, c.signer, gwKey)
		resp := post(t, ctx, r.url, q)
		e := resp.RelayMinerError
		if e == nil || e.Codespace != c.codespace || e.Code != c.code {
			t.Fatalf("%s: relay_miner_error %+v, want %s/%d", c.name, e, c.codespace, c.code)
		}
		if len(resp.Meta.SupplierOperatorSignature) != 0 {
			t.Fatalf("%s: error reply is signed", c.name)
		}
		t.Logf("%s: %s/%d %q", c.name, e.Codespace, e.Code, e.Message)
	}
	// One valid relay, signed as app1 with this test's own client: it verifies, and it is the
	// only new stream entry.
	h := header
	q := &servicetypes.RelayRequest{
		Meta:    servicetypes.RelayRequestMetadata{SessionHeader: &h, SupplierOperatorAddress: chain.Accounts.Supplier.Address},
		Payload: jsonRPCPayload(t),
	}
	signRequest(t, q, appKey, gwKey)
	resp := post(t, ctx, r.url, q)
	if resp.RelayMinerError != nil {
		t.Fatalf("valid relay: %+v", resp.RelayMinerError)
	}
	got := r.waitEntries(t, ctx, published+1)
	if len(got) != published+1 {
		t.Fatalf("stream holds %d relays after 4 invalid and 1 valid relay, want %d", len(got), published+1)
	}
}

// derive returns the first secp256k1 key of a test mnemonic (cosmos HD path m/44'/118'/0'/0/0).
func derive(t *testing.T, mnemonic string) *secp256k1.PrivKey {
	bz, err := hd.Secp256k1.Derive()(mnemonic, "", hd.CreateHDPath(118, 0, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	return &secp256k1.PrivKey{Key: bz}
}

func jsonRPCPayload(t *testing.T) []byte {
	bz, err := proto.Marshal(&sdktypes.POKTHTTPRequest{Method: "POST", Url: "/", BodyBz: []byte(ethBlockNumber),
		Header: map[string]*sdktypes.Header{"Content-Type": {Key: "Content-Type", Values: []string{"application/json"}}}})
	if err != nil {
		t.Fatal(err)
	}
	return bz
}

// signRequest ring-signs q with signer over the ring {signer, gateway}.
func signRequest(t *testing.T, q *servicetypes.RelayRequest, signer, gw *secp256k1.PrivKey) {
	rg, err := ring.New(ring.Config{}).PrepareRing([][]byte{signer.PubKey().Bytes(), gw.PubKey().Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := q.GetSignableBytesHash()
	if err != nil {
		t.Fatal(err)
	}
	if q.Meta.Signature, err = ring.Sign(rg, hash, signer.Key); err != nil {
		t.Fatal(err)
	}
}

func post(t *testing.T, ctx context.Context, url string, q *servicetypes.RelayRequest) *servicetypes.RelayResponse {
	bz, err := q.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(bz))
	req.Header.Set("Rpc-Type", "3")
	hr, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer hr.Body.Close()
	body, _ := io.ReadAll(hr.Body)
	if hr.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d, want 200 for every relay reply", hr.StatusCode)
	}
	var resp servicetypes.RelayResponse
	if err := resp.Unmarshal(body); err != nil {
		t.Fatalf("decode reply: %v", err)
	}
	return &resp
}
