package miner

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	ringsecp "github.com/pokt-network/go-dleq/secp256k1"
	"github.com/pokt-network/poktroll/pkg/crypto/rings"
	apptypes "github.com/pokt-network/poktroll/x/application/types"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/query"
)

// ringChain is the runner rig's chain with the application data the proof check reads.
type ringChain struct {
	*fakeChain
	app     apptypes.Application
	pubkeys map[string]cryptotypes.PubKey
	reloads int
	down    bool // the chain cannot be reached
}

func (c *ringChain) ReloadApplication(_ context.Context, a string) (*apptypes.Application, error) {
	c.reloads++
	if c.down {
		return nil, errors.New("chain unreachable")
	}
	if a != c.app.Address {
		return nil, errors.New("no such application")
	}
	return &c.app, nil
}

func (c *ringChain) AccountPubKey(_ context.Context, a string) (cryptotypes.PubKey, error) {
	pk, ok := c.pubkeys[a]
	if !ok {
		return nil, errors.New("no public key")
	}
	return pk, nil
}

// ringSignedRelay returns the bytes of a relay of h whose request the application ring-signs
// with ring-go over the ring [app, gateway], as a gateway's SDK does.
func ringSignedRelay(t *testing.T, op string, h *sessiontypes.SessionHeader, appKey, gwKey *secp256k1.PrivKey, corrupt bool) []byte {
	t.Helper()
	req := &servicetypes.RelayRequest{Meta: servicetypes.RelayRequestMetadata{SessionHeader: h, SupplierOperatorAddress: op},
		Payload: []byte(`{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}`)}
	hash, err := req.GetSignableBytesHash()
	if err != nil {
		t.Fatal(err)
	}
	r, err := rings.GetRingFromPubKeys([]cryptotypes.PubKey{appKey.PubKey(), gwKey.PubKey()})
	if err != nil {
		t.Fatal(err)
	}
	x, err := ringsecp.NewCurve().DecodeToScalar(appKey.Key)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := r.Sign(hash, x)
	if err != nil {
		t.Fatal(err)
	}
	if req.Meta.Signature, err = sig.Serialize(); err != nil {
		t.Fatal(err)
	}
	if corrupt { // one bit of the challenge scalar: still decodes, no longer verifies
		req.Meta.Signature[10] ^= 1
	}
	ph := sha256.Sum256([]byte(`{"result":"0x1"}`))
	relay := &servicetypes.Relay{Req: req, Res: &servicetypes.RelayResponse{
		Meta:        servicetypes.RelayResponseMetadata{SessionHeader: h, SupplierOperatorSignature: make([]byte, 64)},
		PayloadHash: ph[:]}}
	bz, err := relay.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return bz
}

// TestProofRelayIsCheckedWithRingGo: before a proof is sent, the relay it carries is verified
// with ring-go against the application's ring, as the chain will verify it (poktroll v0.1.35
// x/proof/keeper/proof_validation.go). A relay whose signature ring-go rejects is never sent
// in a proof (an invalid proof is slashed like a missing one and costs the proof fee too); it
// is counted as proofs_total{outcome="ring_rejected"}. A good relay's proof is sent, and so is
// one whose ring cannot be built (not sending would make the slash certain).
func TestProofRelayIsCheckedWithRingGo(t *testing.T) {
	if err := query.SetAccountPrefix(); err != nil { // pokt addresses, as miner.New sets up
		t.Fatal(err)
	}
	for _, tc := range []struct{ corrupt, down bool }{{false, false}, {true, false}, {true, true}} {
		corrupt := tc.corrupt && !tc.down // unchecked when the ring cannot be built: sent
		t.Run(fmt.Sprintf("corrupt=%v/chain_down=%v", tc.corrupt, tc.down), func(t *testing.T) {
			g := newRunnerRig(t)
			appKey, gwKey := secp256k1.GenPrivKeyFromSecret([]byte("app")), secp256k1.GenPrivKeyFromSecret([]byte("gw"))
			appAddr, gwAddr := sdk.AccAddress(appKey.PubKey().Address()).String(), sdk.AccAddress(gwKey.PubKey().Address()).String()
			chain := &ringChain{fakeChain: g.chain,
				app:     apptypes.Application{Address: appAddr, DelegateeGatewayAddresses: []string{gwAddr}},
				pubkeys: map[string]cryptotypes.PubKey{appAddr: appKey.PubKey(), gwAddr: gwKey.PubKey()}, down: tc.down}
			gate, txs := NewGate(), &fakeTx{chain: g.chain}
			m, err := NewLifecycleMetrics(prometheus.NewRegistry())
			if err != nil {
				t.Fatal(err)
			}
			r, err := NewRunner(RunnerConfig{Supplier: g.op, Signer: testSigner{g.op}}, g.fence, g.store, gate, g.trees, chain, txs, m, zerolog.Nop())
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Load(context.Background()); err != nil {
				t.Fatal(err)
			}
			h := &sessiontypes.SessionHeader{ApplicationAddress: appAddr, ServiceId: "anvil", SessionId: "aa",
				SessionStartBlockHeight: 1, SessionEndBlockHeight: 10}
			if !gate.Accept(SessionHeader{Supplier: g.op, Application: appAddr, ServiceID: "anvil", SessionID: "aa", StartHeight: 1, EndHeight: 10}) {
				t.Fatal("relay refused by the gate")
			}
			bz := ringSignedRelay(t, g.op, h, appKey, gwKey, tc.corrupt)
			k := sha256.Sum256(bz)
			if err := g.trees.tree("aa").Update(k[:], bz, testCUPR); err != nil {
				t.Fatal(err)
			}
			for _, height := range []int64{5, 10, 11, 12} {
				step(t, r, height)
			}
			if len(txs.claims) != 1 {
				t.Fatalf("%d claims sent, want 1", len(txs.claims))
			}
			_ = block(r, 16)                                                       // proof window; a refused proof is an error here
			rejected := tcCounter(m.proofs.WithLabelValues(g.op, "ring_rejected")) // outcomeRingRejected
			if corrupt {
				if len(txs.proofs) != 0 || rejected != 1 {
					t.Fatalf("corrupt relay: %d proofs sent, %v counted ring_rejected; want 0 and 1", len(txs.proofs), rejected)
				}
			} else if len(txs.proofs) != 1 || rejected != 0 || states(r) != "aa:proved " {
				t.Fatalf("good relay: %d proofs sent, %v ring_rejected, states %s", len(txs.proofs), rejected, states(r))
			}
			if chain.reloads != 1 {
				t.Fatalf("%d application reloads for one proof, want 1", chain.reloads)
			}
			r.Close()
		})
	}
}
