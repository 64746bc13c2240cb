package cmd

import (
	"bytes"
	"strings"
	"testing"

	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

// compareStake says which staked rpc types fall back to the default backend (as poktroll's
// relay miner serves them) and counts as problems only what would be refused: a WebSocket
// endpoint without a websocket backend, or any type without its own backend on a strict
// service.
func TestCompareStakeReportsFallbacks(t *testing.T) {
	sup := &sharedtypes.Supplier{Services: []*sharedtypes.SupplierServiceConfig{{ServiceId: "svc", Endpoints: []*sharedtypes.SupplierEndpoint{
		{RpcType: sharedtypes.RPCType_JSON_RPC}, {RpcType: sharedtypes.RPCType_COMET_BFT},
		{RpcType: sharedtypes.RPCType_REST}, {RpcType: sharedtypes.RPCType_WEBSOCKET},
	}}}}
	for _, tc := range []struct {
		strict   bool
		problems int
		fallback int
	}{{false, 1, 2}, {true, 3, 0}} {
		cfg := &config.Relayer{Services: map[string]*config.Service{"svc": {
			StrictRPCType: tc.strict,
			Backends:      map[config.RPCType]*config.Backend{config.RPCJSONRPC: {URL: "http://127.0.0.1:1"}},
		}}}
		var out bytes.Buffer
		if n := compareStake(&out, "pokt1op", sup, cfg); n != tc.problems {
			t.Errorf("strict=%v: %d problems, want %d:\n%s", tc.strict, n, tc.problems, out.String())
		}
		if n := strings.Count(out.String(), "falls back to the default jsonrpc backend"); n != tc.fallback {
			t.Errorf("strict=%v: %d fallbacks reported, want %d:\n%s", tc.strict, n, tc.fallback, out.String())
		}
		if !strings.Contains(out.String(), "WEBSOCKET staked but no websocket backend configured") {
			t.Errorf("strict=%v: the websocket endpoint is not reported:\n%s", tc.strict, out.String())
		}
	}
}
