//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/shannon-ops/pocket-relay-miner/tilt/localnet"
)

// net is the chain every test of the package uses.
var net *localnet.Localnet

// upTimeout bounds bringing the chain up, a cold pocketd build included.
const upTimeout = 15 * time.Minute

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "e2e-localnet-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	if os.Getenv("LOCALNET_KEEP") == "" {
		defer os.RemoveAll(dir)
	} else {
		defer fmt.Fprintln(os.Stderr, "e2e: localnet directory kept in", dir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), upTimeout)
	net, err = localnet.Up(ctx, localnet.Options{Dir: dir, RelayMiner: true, Log: os.Stderr})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: bring up localnet:", err)
		return 1
	}
	code := m.Run()

	dctx, dcancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer dcancel()
	if err := net.Down(dctx); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: stop localnet:", err)
		code = 1
	}
	if err := goleak.Find(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: leaked goroutines:", err)
		code = 1
	}
	return code
}
