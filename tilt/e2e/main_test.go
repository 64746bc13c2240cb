//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/shannon-ops/pocket-relay-miner/tilt/localnet"
)

// chain is the local chain every test of the package uses.
var chain *localnet.Localnet

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
	rm, err := freePort()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), upTimeout)
	chain, err = localnet.Up(ctx, localnet.Options{
		Dir: dir, RelayMiner: true, Log: os.Stderr,
		Ports:     localnet.Ports{RelayMiner: rm},
		Endpoints: stakedEndpoints(rm),
	})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: bring up localnet:", err)
		return 1
	}
	code := m.Run()

	dctx, dcancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer dcancel()
	if err := chain.Down(dctx); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: stop localnet:", err)
		code = 1
	}
	// cosmos-sdk's grpc-web dependency starts a timer goroutine at init that never stops.
	if err := goleak.Find(goleak.IgnoreTopFunction("github.com/desertbit/timer.timerRoutine")); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: leaked goroutines:", err)
		code = 1
	}
	return code
}

// stakedEndpoints stakes supplier1 for every rpc type a relayer serves, all at the reference
// relay miner's port; the relay client uses the JSON_RPC one.
func stakedEndpoints(port int) []localnet.Endpoint {
	host := "127.0.0.1:" + strconv.Itoa(port)
	svc := localnet.DefaultServiceID
	return []localnet.Endpoint{
		{ServiceID: svc, RPCType: localnet.RPCTypeJSONRPC, URL: "http://" + host},
		{ServiceID: svc, RPCType: localnet.RPCTypeREST, URL: "http://" + host + "/rest"},
		{ServiceID: svc, RPCType: localnet.RPCTypeWebSocket, URL: "ws://" + host + "/ws"},
		{ServiceID: svc, RPCType: localnet.RPCTypeGRPC, URL: "http://" + host + "/grpc"},
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
