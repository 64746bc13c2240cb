package ring_test

import (
	"crypto/sha256"
	"fmt"

	secp "github.com/decred/dcrd/dcrec/secp256k1/v4"

	"github.com/shannon-ops/pocket-relay-miner/relayer/ring"
)

func Example() {
	// Two members: an application and one gateway it delegated to.
	appSeed, gwSeed := sha256.Sum256([]byte("app")), sha256.Sum256([]byte("gateway"))
	app, gw := secp.PrivKeyFromBytes(appSeed[:]), secp.PrivKeyFromBytes(gwSeed[:])
	members := [][]byte{app.PubKey().SerializeCompressed(), gw.PubKey().SerializeCompressed()}

	v := ring.New(ring.Config{})
	r, err := v.PrepareRing(members)
	if err != nil {
		panic(err)
	}

	// The gateway signs a relay request hash (load tester side).
	msg := sha256.Sum256([]byte("relay request signable bytes"))
	gwKey := gw.Key.Bytes()
	sig, err := ring.Sign(r, msg, gwKey[:])
	if err != nil {
		panic(err)
	}

	// The relay miner verifies it.
	fmt.Println(v.Verify(r, msg, sig))

	msg[0] ^= 1
	reason, _ := ring.ReasonOf(v.Verify(r, msg, sig))
	fmt.Println(reason)
	// Output:
	// <nil>
	// invalid_signature
}
