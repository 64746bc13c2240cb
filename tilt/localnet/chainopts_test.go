package localnet

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	prooftypes "github.com/pokt-network/poktroll/x/proof/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
)

func TestChainDefaultsAndValidate(t *testing.T) {
	c := Chain{}.withDefaults()
	if c.BlockTime != time.Second || c.GasPrice != "0upokt" {
		t.Fatalf("defaults: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	good := Chain{BlockTime: 3 * time.Second, GasPrice: "0.001upokt", ProofSubmissionFee: 1_000_000, TargetNumRelays: 2, PoorOperatorBalance: 50_000}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := map[string]Chain{
		"block_time":                  {BlockTime: 10 * time.Millisecond, GasPrice: "0upokt"},
		"gas_price":                   {BlockTime: time.Second, GasPrice: "0.001uatom"},
		"poor_operator_balance_upokt": {BlockTime: time.Second, GasPrice: "0upokt", PoorOperatorBalance: 10},
	}
	for key, c := range bad {
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%+v: error %v, want one naming %s", c, err, key)
		}
	}
	if _, err := (Options{Dir: "d", Chain: Chain{GasPrice: "free"}}).withDefaults(); err == nil || !strings.Contains(err.Error(), "gas_price") {
		t.Fatalf("Options accepted a bad gas price: %v", err)
	}
}

func TestGenesisAmountPoorOperator(t *testing.T) {
	a := WellKnownAccounts()
	c := Chain{PoorOperatorBalance: 5000}
	if got := c.genesisAmount(a.PoorOperator, a.PoorOperator); got != "5000upokt" {
		t.Fatalf("poor operator funded with %s", got)
	}
	if got := c.genesisAmount(a.Supplier2, a.PoorOperator); got != genesisBalance {
		t.Fatalf("supplier2 funded with %s", got)
	}
	if got := (Chain{}).genesisAmount(a.PoorOperator, a.PoorOperator); got != genesisBalance {
		t.Fatalf("without the option the poor operator is funded with %s", got)
	}
}

// genesisSkeleton has every object applyGenesis writes to, as `pocketd init` creates them.
const genesisSkeleton = `{"app_state":{
 "shared":{"params":{"num_blocks_per_session":"10","grace_period_end_offset_blocks":"1","claim_window_open_offset_blocks":"1",
  "claim_window_close_offset_blocks":"4","proof_window_open_offset_blocks":"0","proof_window_close_offset_blocks":"4",
  "supplier_unbonding_period_sessions":"1","application_unbonding_period_sessions":"1","gateway_unbonding_period_sessions":"1"}},
 "proof":{"params":{"proof_request_probability":0.25,"proof_requirement_threshold":{"amount":"20000000","denom":"upokt"},
  "proof_submission_fee":{"amount":"1000000","denom":"upokt"}}},
 "mint":{"minter":{"inflation":"0.13"},"params":{"inflation_rate_change":"0.13","inflation_max":"0.2","inflation_min":"0.07"}},
 "tokenomics":{"params":{"global_inflation_per_claim":0.1}},
 "service":{"params":{"target_num_relays":"100000"}},
 "authz":{"authorization":[]}}}`

func TestApplyGenesisMainnetKnobs(t *testing.T) {
	var g map[string]any
	if err := json.Unmarshal([]byte(genesisSkeleton), &g); err != nil {
		t.Fatal(err)
	}
	acc := WellKnownAccounts()
	acc.Validator.Address = "pokt1validator"
	l := &Localnet{Session: DefaultSession(), Accounts: acc,
		Chain: Chain{ProofSubmissionFee: 1234, TargetNumRelays: 3}.withDefaults()}
	if err := l.applyGenesis(g); err != nil {
		t.Fatal(err)
	}
	app := g["app_state"].(map[string]any)
	get := func(module, key string) any { return app[module].(map[string]any)["params"].(map[string]any)[key] }
	if got := get("proof", "proof_submission_fee").(map[string]any)["amount"]; got != "1234" {
		t.Errorf("proof_submission_fee %v", got)
	}
	if got := get("service", "target_num_relays"); got != "3" {
		t.Errorf("target_num_relays %v", got)
	}
	if got := get("shared", "claim_window_close_offset_blocks"); got != "2" {
		t.Errorf("claim_window_close_offset_blocks %v", got)
	}
	grants := app["authz"].(map[string]any)["authorization"].([]any)
	if len(grants) != len(authorityMsgs) {
		t.Fatalf("%d grants, want %d", len(grants), len(authorityMsgs))
	}
	first := grants[0].(map[string]any)
	if first["granter"] != GovAuthority() || first["grantee"] != "pokt1validator" ||
		first["authorization"].(map[string]any)["msg"] != "/pocket.shared.MsgUpdateParams" {
		t.Fatalf("grant %v", first)
	}

	// Without TargetNumRelays, poktroll's default stays.
	if err := json.Unmarshal([]byte(genesisSkeleton), &g); err != nil {
		t.Fatal(err)
	}
	l.Chain.TargetNumRelays = 0
	if err := l.applyGenesis(g); err != nil {
		t.Fatal(err)
	}
	if got := g["app_state"].(map[string]any)["service"].(map[string]any)["params"].(map[string]any)["target_num_relays"]; got != "100000" {
		t.Fatalf("target_num_relays changed to %v", got)
	}
}

// The gov module account is the one poktroll's localnet grants from
// (tools/scripts/authz/localnet_genesis_authorizations.json in poktroll v0.1.35).
func TestGovAuthority(t *testing.T) {
	if got := GovAuthority(); got != "pokt10d07y265gmmuvt4z0w9aw880jnsr700j8yv32t" {
		t.Fatalf("gov authority %s", got)
	}
}

func TestNodeConfigBlockTimeAndGasPrice(t *testing.T) {
	home := t.TempDir()
	cfg := filepath.Join(home, "config")
	if err := os.MkdirAll(cfg, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"config.toml": "proxy_app = \"\"\n[rpc]\nladdr = \"\"\npprof_laddr = \"\"\nmax_body_bytes = 1\n[p2p]\nladdr = \"\"\naddr_book_strict = true\nallow_duplicate_ip = false\n" +
			"[mempool]\nmax_tx_bytes = 1\n[consensus]\ntimeout_propose = \"3s\"\ntimeout_commit = \"5s\"\n[instrumentation]\nprometheus = true\nprometheus_listen_addr = \"\"\n",
		"app.toml":    "minimum-gas-prices = \"1upokt\"\npruning = \"default\"\n[api]\nenable = false\nswagger = true\naddress = \"\"\n[grpc]\nenable = false\naddress = \"\"\n",
		"client.toml": "chain-id = \"\"\nkeyring-backend = \"os\"\nnode = \"\"\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(cfg, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l := &Localnet{Home: home, ChainID: "pocket", Chain: Chain{BlockTime: 3 * time.Second, GasPrice: "0.001upokt"}}
	if err := l.writeNodeConfig(); err != nil {
		t.Fatal(err)
	}
	cometCfg, _ := os.ReadFile(filepath.Join(cfg, "config.toml"))
	appCfg, _ := os.ReadFile(filepath.Join(cfg, "app.toml"))
	for _, want := range []string{`timeout_propose = "3s"`, `timeout_commit = "3s"`} {
		if !strings.Contains(string(cometCfg), want) {
			t.Errorf("config.toml lacks %s:\n%s", want, cometCfg)
		}
	}
	if !strings.Contains(string(appCfg), `minimum-gas-prices = "0.001upokt"`) {
		t.Errorf("app.toml:\n%s", appCfg)
	}
}

func TestSessionHistory(t *testing.T) {
	base := DefaultSession()
	wide := base
	wide.ClaimWindowOpenOffset, wide.ClaimWindowCloseOffset, wide.UnbondingSessions = 2, 3, 3
	l := &Localnet{Session: base, SessionHistory: []SessionEpoch{{From: 21, Session: wide}}}
	if l.SessionAt(20) != base || l.SessionAt(21) != wide || l.SessionAt(99) != wide {
		t.Fatalf("SessionAt: %+v %+v", l.SessionAt(20), l.SessionAt(21))
	}
	// 4-block sessions from block 1: [17,20], [21,24].
	for h, end := range map[int64]int64{17: 20, 20: 20, 21: 24, 1: 4} {
		if got := base.sessionEndAt(h); got != end {
			t.Errorf("sessionEndAt(%d) = %d, want %d", h, got, end)
		}
	}
	if got := wide.sharedParams()["claim_window_close_offset_blocks"]; got != "3" {
		t.Fatalf("shared params: %v", got)
	}
}

func TestSupplierStakeYAMLOwnerOperator(t *testing.T) {
	eps := []Endpoint{{ServiceID: "a", RPCType: RPCTypeJSONRPC, URL: "http://127.0.0.1:1"}}
	// The owner's initial stake carries no services (poktroll v0.1.35 refuses them)...
	if got, want := supplierStakeYAML("pokt1owner", "pokt1op", true, nil),
		"owner_address: pokt1owner\noperator_address: pokt1op\nstake_amount: 1000000000upokt\n"; got != want {
		t.Errorf("owner's stake config:\n%s\nwant:\n%s", got, want)
	}
	// ...and the operator's --services-only config no stake amount.
	got := supplierStakeYAML("pokt1owner", "pokt1op", false, eps)
	for _, want := range []string{"owner_address: pokt1owner\n", "operator_address: pokt1op\n", "  pokt1owner: 100\n", `service_id: "a"`} {
		if !strings.Contains(got, want) {
			t.Errorf("services config lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "stake_amount") {
		t.Errorf("services config carries a stake amount:\n%s", got)
	}
}

func TestDecodeProofMsgs(t *testing.T) {
	hdr := &sessiontypes.SessionHeader{SessionEndBlockHeight: 12}
	claim, _ := (&prooftypes.MsgCreateClaim{SupplierOperatorAddress: "pokt1s", SessionHeader: hdr}).Marshal()
	proof, _ := (&prooftypes.MsgSubmitProof{SupplierOperatorAddress: "pokt1s", SessionHeader: hdr}).Marshal()
	body := txtypes.TxBody{Messages: []*codectypes.Any{
		{TypeUrl: MsgCreateClaimType, Value: claim},
		{TypeUrl: "/cosmos.bank.v1beta1.MsgSend", Value: []byte{}},
		{TypeUrl: MsgSubmitProofType, Value: proof},
	}}
	bodyBz, err := body.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := (&txtypes.TxRaw{BodyBytes: bodyBz}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeProofMsgs(base64.StdEncoding.EncodeToString(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Type != MsgCreateClaimType || got[1].Type != MsgSubmitProofType ||
		got[0].Supplier != "pokt1s" || got[1].SessionEnd != 12 {
		t.Fatalf("decoded %+v", got)
	}
}
