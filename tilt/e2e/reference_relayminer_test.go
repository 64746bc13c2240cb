//go:build e2e

package e2e

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shannon-ops/pocket-relay-miner/tilt/localnet"
)

// relayCount is how many relays the harness test sends; it stays far below what app1's stake
// allows per session.
const relayCount = 25

const ethBlockNumber = `{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}`

// TestReferenceRelayMinerSettles proves the harness end to end: poktroll's own relay miner
// serves relays from poktroll's real client with the backend-server behind it, and the chain
// records a claim, a VALIDATED proof and a settlement whose relay count equals the relays the
// client saw succeed. The supplier's balance grows at settlement.
func TestReferenceRelayMinerSettles(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	app, sup, svc := chain.Accounts.Application.Address, chain.Accounts.Supplier.Address, chain.ServiceID

	// Start at a fresh session so all relays fall in one session (the client fetches the
	// session once per run); the check below still copes with a boundary in between.
	before, err := chain.CurrentSession(ctx, app, svc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chain.WaitHeight(ctx, before.EndHeight+1); err != nil {
		t.Fatal(err)
	}
	before, err = chain.CurrentSession(ctx, app, svc)
	if err != nil {
		t.Fatal(err)
	}

	res, err := chain.Relay(ctx, ethBlockNumber, relayCount, chain.RelayMinerURL)
	if err != nil {
		t.Fatalf("relay client: %v\n%s", err, res.Output)
	}
	after, err := chain.CurrentSession(ctx, app, svc)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("client: %d/%d relays succeeded in session [%d,%d]", res.Succeeded, res.Sent, before.StartHeight, before.EndHeight)
	if res.Succeeded != relayCount {
		t.Fatalf("client: %d of %d relays succeeded:\n%s", res.Succeeded, relayCount, res.Output)
	}

	ends := []int64{before.EndHeight}
	if after.EndHeight != before.EndHeight {
		ends = append(ends, after.EndHeight)
	}
	var settled int64
	var settleHeight int64
	for _, end := range ends {
		s, err := chain.WaitForSettlement(ctx, sup, end)
		if errors.Is(err, localnet.ErrNoClaim) && len(ends) > 1 {
			continue // the relays all landed in the other session
		}
		if err != nil {
			t.Fatal(err)
		}
		if !s.ProofValidated() {
			t.Fatalf("session ending at %d: proof not VALIDATED: %+v", end, s.ProofChecked)
		}
		if got, want := s.ClaimCreated.Int("num_relays"), s.NumRelays(); got != want {
			t.Fatalf("session ending at %d: claim has %d relays, settlement %d", end, got, want)
		}
		t.Logf("session ending at %d: claim at %d, proof checked at %d (VALIDATED), settled at %d: %d relays, %s claimed",
			end, s.ClaimCreated.Height, s.ProofChecked.Height, s.Settled.Height, s.NumRelays(), s.Settled.Attrs["claimed_upokt"])
		settled += s.NumRelays()
		settleHeight = s.Settled.Height
	}
	if settled != int64(res.Succeeded) {
		t.Fatalf("chain settled %d relays, client saw %d succeed", settled, res.Succeeded)
	}

	pre, err := chain.BalanceAt(ctx, sup, settleHeight-1)
	if err != nil {
		t.Fatal(err)
	}
	post, err := chain.BalanceAt(ctx, sup, settleHeight)
	if err != nil {
		t.Fatal(err)
	}
	if post <= pre {
		t.Fatalf("supplier balance did not grow at settlement height %d: %d -> %d upokt", settleHeight, pre, post)
	}
	t.Logf("supplier balance %d -> %d upokt (+%d) at settlement", pre, post, post-pre)
}
