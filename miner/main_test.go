package miner

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/shannon-ops/pocket-relay-miner/query"
)

func TestMain(m *testing.M) {
	// Addresses are pokt-prefixed, as miner.New sets it up, before any test renders one: the
	// sdk caches an address's bech32 string, so a prefix set later would not reach it.
	if err := query.SetAccountPrefix(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	goleak.VerifyTestMain(m,
		// Started by an init function of a dependency of the cosmos-sdk gRPC stack; not ours.
		goleak.IgnoreTopFunction("github.com/desertbit/timer.timerRoutine"),
	)
}
