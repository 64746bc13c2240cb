package miner

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/pokt-network/poktroll/pkg/crypto/protocol"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	"github.com/pokt-network/smt"
	"github.com/pokt-network/smt/kvstore/simplemap"
)

func testAddr(b byte) string { return sdk.AccAddress(bytes.Repeat([]byte{b}, 20)).String() }

func testHeader(id string, start, end int64) *sessiontypes.SessionHeader {
	return &sessiontypes.SessionHeader{ApplicationAddress: testAddr(1), ServiceId: "anvil",
		SessionId: id, SessionStartBlockHeight: start, SessionEndBlockHeight: end}
}

// dehydratedRelay returns the bytes of a Relay as the miner stores it: full request,
// response without payload but with its payload hash and supplier signature.
func dehydratedRelay(t *testing.T, op string, h *sessiontypes.SessionHeader, i int) []byte {
	t.Helper()
	payload := []byte(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"eth_blockNumber"}`, i))
	ph := sha256.Sum256([]byte(fmt.Sprintf(`{"result":"0x%x"}`, i)))
	r := &servicetypes.Relay{
		Req: &servicetypes.RelayRequest{Meta: servicetypes.RelayRequestMetadata{
			SessionHeader: h, Signature: bytes.Repeat([]byte{byte(i)}, 64), SupplierOperatorAddress: op,
		}, Payload: payload},
		Res: &servicetypes.RelayResponse{Meta: servicetypes.RelayResponseMetadata{
			SessionHeader: h, SupplierOperatorSignature: bytes.Repeat([]byte{byte(i + 1)}, 64),
		}, PayloadHash: ph[:]},
	}
	bz, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return bz
}

// TestBuildProofPassesChainChecks builds a claim and a proof from a real in-memory sum trie of
// real relays, and checks the proof as the chain does, with poktroll's and smt's own functions
// where they run without a keeper (PROTOCOL.md §6.8 4–8, §6.9 5–6).
func TestBuildProofPassesChainChecks(t *testing.T) {
	const cupr = 7
	op := testAddr(9)
	for _, n := range []int{1, 2, 17, 300} {
		t.Run(fmt.Sprint(n, "relays"), func(t *testing.T) {
			h := testHeader(fmt.Sprintf("%064x", n), 11, 20)
			trie := smt.NewSparseMerkleSumTrie(simplemap.NewSimpleMap(), sha256.New(), smt.WithValueHasher(nil))
			for i := range n {
				bz := dehydratedRelay(t, op, h, i)
				key := sha256.Sum256(bz)
				if err := trie.Update(key[:], bz, cupr); err != nil {
					t.Fatal(err)
				}
			}
			root := []byte(trie.Root())
			msg, err := ClaimMsg(op, h, root)
			if err != nil {
				t.Fatal(err)
			}
			if err := msg.ValidateBasic(); err != nil {
				t.Fatalf("claim ValidateBasic: %v", err)
			}
			if c, s := rootCounts(msg.RootHash); c != uint64(n) || s != uint64(n*cupr) {
				t.Fatalf("root count/sum = %d/%d, want %d/%d", c, s, n, n*cupr)
			}
			for seed := range 5 {
				seedHash := sha256.Sum256([]byte{byte(seed), byte(n)})
				bz, err := BuildProof(trie, seedHash[:], h.SessionId, root)
				if err != nil {
					t.Fatal(err)
				}
				pm := ProofMsg(op, h, bz)
				if err := pm.ValidateBasic(); err != nil {
					t.Fatalf("proof ValidateBasic: %v", err)
				}
				checkProofLikeChain(t, pm.Proof, seedHash[:], h, op, root)
			}
		})
	}
}

func checkProofLikeChain(t *testing.T, proofBz, seedHash []byte, h *sessiontypes.SessionHeader, op string, root []byte) {
	t.Helper()
	spec := protocol.NewSMTSpec()
	compact := &smt.SparseCompactMerkleClosestProof{}
	if err := compact.Unmarshal(proofBz); err != nil {
		t.Fatalf("gob decode: %v", err)
	}
	proof, err := smt.DecompactClosestProof(compact, spec)
	if err != nil {
		t.Fatalf("decompact: %v", err)
	}
	if !bytes.Equal(proof.Path, protocol.GetPathForProof(seedHash, h.SessionId)) {
		t.Fatal("proof path is not sha256(seed || session id)")
	}
	ok, err := smt.VerifyClosestProof(proof, root, spec)
	if err != nil || !ok {
		t.Fatalf("VerifyClosestProof = %v, %v", ok, err)
	}
	relayBz := proof.GetValueHash(spec)
	if vh := proof.ClosestValueHash; !bytes.Equal(relayBz, vh[:len(vh)-16]) {
		t.Fatal("value hash is not the relay bytes followed by sum and count")
	}
	relay := &servicetypes.Relay{}
	if err := relay.Unmarshal(relayBz); err != nil {
		t.Fatalf("relay unmarshal: %v", err)
	}
	if err := relay.Req.ValidateBasic(); err != nil {
		t.Fatalf("relay request: %v", err)
	}
	if err := relay.Res.ValidateBasic(); err != nil {
		t.Fatalf("relay response: %v", err)
	}
	if relay.Req.Meta.SupplierOperatorAddress != op {
		t.Fatal("relay names another supplier")
	}
	if *relay.Req.Meta.SessionHeader != *h || *relay.Res.Meta.SessionHeader != *h {
		t.Fatal("relay headers differ from the session header")
	}
}

func TestBuildProofRefusesAStaleRoot(t *testing.T) {
	op, h := testAddr(9), testHeader("abc", 1, 10)
	trie := smt.NewSparseMerkleSumTrie(simplemap.NewSimpleMap(), sha256.New(), smt.WithValueHasher(nil))
	for i := range 3 {
		bz := dehydratedRelay(t, op, h, i)
		k := sha256.Sum256(bz)
		if err := trie.Update(k[:], bz, 1); err != nil {
			t.Fatal(err)
		}
	}
	root := []byte(trie.Root())
	bz := dehydratedRelay(t, op, h, 99) // a relay committed after the claim was made
	k := sha256.Sum256(bz)
	if err := trie.Update(k[:], bz, 1); err != nil {
		t.Fatal(err)
	}
	seed := sha256.Sum256([]byte("seed"))
	if _, err := BuildProof(trie, seed[:], h.SessionId, root); err == nil {
		t.Fatal("proof against a stale root was built")
	}
}

func TestClaimMsgRefusesBadRoots(t *testing.T) {
	h := testHeader("abc", 1, 10)
	for name, root := range map[string][]byte{
		"short": make([]byte, 40), "empty tree": make([]byte, 48), "no sum": testRoot(0, 3),
	} {
		if _, err := ClaimMsg(testAddr(9), h, root); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ClaimMsg(testAddr(9), h, testRoot(30, 3)); err != nil {
		t.Fatal(err)
	}
}
