package cache

import (
	"context"
	"slices"
	"testing"

	"github.com/shannon-ops/pocket-relay-miner/query/querytest"
	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

// TestReloadApplicationSeesANewDelegation: a delegation made after the application was cached
// is invisible to Application until the leader's refresh, and visible at once after
// ReloadApplication, for this process (L1) and for a process that reads L2.
func TestReloadApplicationSeesANewDelegation(t *testing.T) {
	chain := fakeChain(t)
	srv := redistest.Start(t)
	p := newProcess(t, srv.Client(), false)
	c := newChain(t, p.hub, newQuerier(t, chain))
	ctx := context.Background()
	if _, err := c.Application(ctx, appAddr); err != nil {
		t.Fatal(err)
	}
	app := stakedApp()
	app.DelegateeGatewayAddresses = []string{supAddr}
	chain.SetApplication(app)
	if got, _ := c.Application(ctx, appAddr); len(got.DelegateeGatewayAddresses) != 0 {
		t.Fatal("the cached application changed without a refresh (the test needs a cached value)")
	}
	before := chain.Calls(querytest.MethodApplication)
	got, err := c.ReloadApplication(ctx, appAddr)
	if err != nil || !slices.Equal(got.DelegateeGatewayAddresses, app.DelegateeGatewayAddresses) {
		t.Fatalf("reload: %v %v", got, err)
	}
	if n := chain.Calls(querytest.MethodApplication) - before; n != 1 {
		t.Fatalf("reload made %d application queries, want 1", n)
	}
	if got, _ := c.Application(ctx, appAddr); len(got.DelegateeGatewayAddresses) != 1 {
		t.Fatal("L1 still serves the old application after a reload")
	}
	other := newChain(t, newProcess(t, srv.Client(), false).hub, newQuerier(t, chain))
	before = chain.Calls(querytest.MethodApplication)
	if got, _ := other.Application(ctx, appAddr); len(got.DelegateeGatewayAddresses) != 1 {
		t.Fatal("L2 still holds the old application after a reload")
	}
	if chain.Calls(querytest.MethodApplication) != before {
		t.Fatal("another process went to the chain instead of reading the reloaded L2 value")
	}
}
