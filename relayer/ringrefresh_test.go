package relayer

import (
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"

	"github.com/shannon-ops/pocket-relay-miner/relayer/ring"
)

// signedBy ring-signs a fresh request with key over a ring of members.
func (f *fixture) signedBy(k *secp256k1.PrivKey, members ...*secp256k1.PrivKey) *servicetypes.RelayRequest {
	f.t.Helper()
	req := f.request(nil)
	pubs := make([][]byte, len(members))
	for i, m := range members {
		pubs[i] = m.PubKey().Bytes()
	}
	r, err := ring.New(ring.Config{}).PrepareRing(pubs)
	if err != nil {
		f.t.Fatal(err)
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

// TestGatewayDelegatedMidSessionIsServed: poktroll v0.1.35 builds an application's ring from its
// current delegations (pkg/crypto/rings: GetRingAddressesAtSessionEndHeight filters only pending
// undelegations by height), so a gateway delegated to after the session's first relay signs
// valid relays for that session, and the chain accepts them in proofs. The relayer, whose ring
// was cached from the first relay, must reload the application and serve it. Bad signatures
// must cost at most one application reload per block height.
func TestGatewayDelegatedMidSessionIsServed(t *testing.T) {
	for _, mode := range []struct {
		name string
		opts []fixtureOption
	}{{"eager", nil}, {"optimistic", []fixtureOption{optimistic}}} {
		t.Run(mode.name, func(t *testing.T) {
			f := newFixture(t, mode.opts...)
			if resp, _ := f.serve(f.body(f.request(nil))); resp.RelayMinerError != nil { // caches the ring [app, gw]
				t.Fatalf("first relay: %+v", resp.RelayMinerError)
			}
			f.settle()
			gw2 := key("gateway-2")
			f.chain.pubkeys[addr(gw2)] = gw2.PubKey()
			f.chain.app.DelegateeGatewayAddresses = []string{f.gw, addr(gw2)}

			for i := range 2 { // the second relay verifies against the refreshed, stored ring
				resp, _ := f.serve(f.body(f.signedBy(gw2, f.appKey, f.gwKey, gw2)))
				if resp.RelayMinerError != nil {
					t.Fatalf("relay %d of the newly delegated gateway refused: %+v", i, resp.RelayMinerError)
				}
			}
			f.settle()
			if n := f.chain.reloads.Load(); n != 1 {
				t.Fatalf("%d application reloads, want 1", n)
			}

			intruder := key("intruder")
			bad := func() {
				t.Helper()
				f.serve(f.body(f.signedBy(intruder, intruder, f.gwKey)))
			}
			for range 5 {
				bad()
			}
			f.settle()
			if n := f.chain.reloads.Load(); n != 1 {
				t.Fatalf("%d application reloads after bad signatures at the same height, want 1", n)
			}
			f.heights.h.Store(6)
			for range 5 {
				bad()
			}
			f.drain()
			if n := f.chain.reloads.Load(); n != 2 {
				t.Fatalf("%d application reloads after bad signatures over two heights, want 2", n)
			}
			if mode.name == "eager" && f.rejected(testService, reasonBadSignature) != 10 {
				t.Fatalf("%v bad signatures counted, want 10", f.rejected(testService, reasonBadSignature))
			}
			if got := len(f.pub.relays()); got != 3 {
				t.Fatalf("%d relays mined, want 3 (the app's and the new gateway's two)", got)
			}
		})
	}
}
