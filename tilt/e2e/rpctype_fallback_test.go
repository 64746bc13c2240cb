//go:build e2e

package e2e

import (
	"context"
	"testing"
	"time"
)

// TestJSONRPCOnlyServesRESTAndCometBFT (issue 16 item 1): a relayer whose service has only a
// jsonrpc backend answers relays sent with Rpc-Type 4 (REST) and 5 (CometBFT) with that
// backend, as poktroll v0.1.35's relay miner does (getServiceConfig falls back to the default
// service config), instead of refusing them; gateways such as PATH send those for their
// endpoint checks. Every verified answer is mined and settles on chain.
func TestJSONRPCOnlyServesRESTAndCometBFT(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	r := startRelayer(t, ctx) // jsonrpc backend only
	t.Cleanup(func() { _ = r.rdb.Close() })
	m := startMiner(t, ctx, r, "miner-fallback")
	waitFor(t, ctx, 60*time.Second, "miner-fallback owns supplier1", m.owns)
	freshSession(t, ctx)
	firstRelay(t, ctx, "rest", r.url, "--path", "/health")
	firstRelay(t, ctx, "cometbft", r.url, "--payload", ethBlockNumber)
	const n = 10
	rest := transportLoad(t, ctx, "rest", r.url, n, "--path", "/health", "--count", "10", "--concurrency", "2")
	comet := transportLoad(t, ctx, "cometbft", r.url, n, "--payload", ethBlockNumber, "--count", "10", "--concurrency", "2")
	verified := 2 + rest.SignaturesVerified + comet.SignaturesVerified
	got := r.waitEntries(t, ctx, int(verified))
	settled, _ := assertSettled(t, ctx, relaysBySessionEnd(got))
	if settled != verified {
		t.Fatalf("chain settled %d relays, the tool verified %d answers", settled, verified)
	}
	t.Logf("%d REST and CometBFT relays answered by the jsonrpc backend and settled", settled)
}
