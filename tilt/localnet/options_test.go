package localnet

import (
	"strings"
	"testing"
)

func TestDefaultSessionWindows(t *testing.T) {
	s := DefaultSession()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	// Session [9,12]: claims in [14,16], proofs until 18, settled in block 18 (LOCALNET.md).
	const end = 12
	if got := [4]int64{s.ClaimWindowOpen(end), s.ClaimWindowClose(end), s.ProofWindowClose(end), s.SettlementHeight(end)}; got != [4]int64{14, 16, 18, 18} {
		t.Fatalf("windows for end %d: %v", end, got)
	}
}

func TestSessionValidate(t *testing.T) {
	bad := map[string]func(*Session){
		"grace not below session":  func(s *Session) { s.GracePeriodEndOffset = s.NumBlocksPerSession },
		"claim opens before grace": func(s *Session) { s.ClaimWindowOpenOffset = 0 },
		"zero claim window":        func(s *Session) { s.ClaimWindowCloseOffset = 0 },
		"unbonding too short":      func(s *Session) { s.UnbondingSessions = 1 },
	}
	for name, mutate := range bad {
		t.Run(name, func(t *testing.T) {
			s := DefaultSession()
			mutate(&s)
			if err := s.Validate(); err == nil {
				t.Fatalf("%+v accepted", s)
			}
		})
	}
}

func TestEndpointValidate(t *testing.T) {
	good := Endpoint{ServiceID: "svc", RPCType: RPCTypeWebSocket, URL: "ws://127.0.0.1:1/ws"}
	if err := good.validate(); err != nil {
		t.Fatal(err)
	}
	for _, e := range []Endpoint{
		{ServiceID: "svc", RPCType: "HTTP", URL: "http://127.0.0.1:1"},
		{ServiceID: "svc", RPCType: RPCTypeREST, URL: "ftp://127.0.0.1:1"},
		{ServiceID: "svc", RPCType: RPCTypeGRPC, URL: "127.0.0.1:1"},
		{RPCType: RPCTypeJSONRPC, URL: "http://127.0.0.1:1"},
	} {
		if err := e.validate(); err == nil {
			t.Errorf("%+v accepted", e)
		}
	}
}

func TestSupplierStakeYAMLGroupsByService(t *testing.T) {
	l := &Localnet{Accounts: WellKnownAccounts(), Endpoints: []Endpoint{
		{ServiceID: "a", RPCType: RPCTypeJSONRPC, URL: "http://127.0.0.1:1"},
		{ServiceID: "b", RPCType: RPCTypeGRPC, URL: "http://127.0.0.1:2"},
		{ServiceID: "a", RPCType: RPCTypeWebSocket, URL: "ws://127.0.0.1:1/ws"},
	}}
	got := l.supplierStakeYAML()
	want := `owner_address: pokt19a3t4yunp0dlpfjrp7qwnzwlrzd5fzs2gjaaaj
operator_address: pokt19a3t4yunp0dlpfjrp7qwnzwlrzd5fzs2gjaaaj
stake_amount: 1000000000upokt
default_rev_share_percent:
  pokt19a3t4yunp0dlpfjrp7qwnzwlrzd5fzs2gjaaaj: 100
services:
  - service_id: "a"
    endpoints:
      - publicly_exposed_url: "http://127.0.0.1:1"
        rpc_type: JSON_RPC
      - publicly_exposed_url: "ws://127.0.0.1:1/ws"
        rpc_type: WEBSOCKET
  - service_id: "b"
    endpoints:
      - publicly_exposed_url: "http://127.0.0.1:2"
        rpc_type: GRPC
`
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestRelayMinerConfig(t *testing.T) {
	l := &Localnet{Dir: "/d", NodeRPC: "tcp://127.0.0.1:1", GRPCAddr: "127.0.0.1:2", ServiceID: "svc",
		Ports: Ports{RelayMiner: 3}, Accounts: WellKnownAccounts()}
	cfg := l.RelayMinerConfig("http://127.0.0.1:4")
	for _, want := range []string{
		"default_signing_key_names: [supplier1]",
		"query_node_grpc_url: tcp://127.0.0.1:2",
		"listen_url: http://127.0.0.1:3",
		`backend_url: "http://127.0.0.1:4/"`,
		"metrics:\n  enabled: false",
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config lacks %q:\n%s", want, cfg)
		}
	}
}

func TestRelayOutputCounting(t *testing.T) {
	out := []byte(`{"message":"✅ Request 1: Status code 200, Response size 424 bytes"}
{"message":"❌ Error sending relay request 2"}
{"message":"✅ Request 3: Status code 200, Response size 424 bytes"}
{"message":"✅ Request 4: Status code 500, Response size 10 bytes"}`)
	if n := len(relayOK.FindAllIndex(out, -1)); n != 2 {
		t.Fatalf("counted %d successes, want 2", n)
	}
	if n := len(relayOK.FindAllIndex([]byte(`✅ Backend response status code: 200`), -1)); n != 1 {
		t.Fatalf("single-relay success line counted %d times", n)
	}
}
