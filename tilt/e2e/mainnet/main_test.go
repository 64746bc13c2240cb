//go:build e2e

package mainnet

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/shannon-ops/pocket-relay-miner/tilt/localnet"
)

// The shared chain's knobs. Relays are expensive (cost = CUPR × 42 upokt) so that the meter's
// budget per supplier and session is a handful of relays:
//
//	budget = stake / num_suppliers_per_session / pending sessions = 7.5e9 / 3 / 3 ≈ 833.3M upokt
//	cost   = 1_984_126 × 42 ≈ 83.3M upokt → 10 relays per supplier and session
//
// Settlement caps a claim at stake / pending sessions (2: no +1 there) / suppliers that
// claimed: 4.5× the meter's budget when one supplier claims. The stake shrinks with every
// settled relay, and the budget with it (about a fifth by the last test).
const (
	sharedCUPR     = 1_984_126
	sharedAppStake = 7_500_000_000 // 7,500 POKT
	sharedSupplies = 3             // num_suppliers_per_session: supplier1, supplier2, the poor operator
	gasPrice       = "0.001upokt"
	proofFee       = 1_000_000 // 1 POKT per proof, as poktroll's config.yml
	// poorBalance pays the poor operator's key tx and a few claims (~150 upokt each at
	// 0.001upokt/gas) but never a proof's 1 POKT fee.
	poorBalance = 100_000
)

// chain is the shared 1 s-block chain; stack is our relayer and miner on it for supplier1,
// supplier2 and the poor operator.
var (
	chain *localnet.Localnet
	stack *ourStack
	// relayBin is pocket-relay-miner, built once for the package.
	relayBin string
)

const upTimeout = 15 * time.Minute

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "e2e-mainnet-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "mainnet:", err)
		return 1
	}
	if os.Getenv("LOCALNET_KEEP") == "" {
		defer os.RemoveAll(dir)
	} else {
		defer fmt.Fprintln(os.Stderr, "mainnet: localnet directory kept in", dir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), upTimeout)
	defer cancel()
	if relayBin, err = buildRelayMiner(ctx, dir); err != nil {
		fmt.Fprintln(os.Stderr, "mainnet:", err)
		return 1
	}
	chain, err = upChain(ctx, filepath.Join(dir, "chain"), localnet.Chain{
		BlockTime: time.Second, GasPrice: gasPrice, ProofSubmissionFee: proofFee,
		PoorOperatorBalance: poorBalance, ApplicationStake: sharedAppStake, NumSuppliersPerSession: sharedSupplies,
	}, sharedCUPR)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mainnet: bring up localnet:", err)
		return 1
	}
	code := func() int {
		if err := stakeExtraSuppliers(ctx, chain); err != nil {
			fmt.Fprintln(os.Stderr, "mainnet:", err)
			return 1
		}
		var err error
		stack, err = startStack(ctx, chain, stackSpec{dir: filepath.Join(dir, "ours"), confirmTimeout: 10 * time.Second,
			keys: []localnet.Account{chain.Accounts.Supplier, chain.Accounts.Supplier2, chain.Accounts.PoorOperator}})
		if err != nil {
			fmt.Fprintln(os.Stderr, "mainnet: start our relayer and miner:", err)
			return 1
		}
		defer stack.close()
		return m.Run()
	}()

	dctx, dcancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer dcancel()
	if err := chain.Down(dctx); err != nil {
		fmt.Fprintln(os.Stderr, "mainnet: stop localnet:", err)
		code = 1
	}
	// cosmos-sdk's grpc-web dependency starts a timer goroutine at init that never stops.
	if err := goleak.Find(goleak.IgnoreTopFunction("github.com/desertbit/timer.timerRoutine")); err != nil {
		fmt.Fprintln(os.Stderr, "mainnet: leaked goroutines:", err)
		code = 1
	}
	return code
}

// upChain brings up a chain with Redis and the backend, supplier1 staked for the service at a
// placeholder URL (relays are sent with an endpoint override).
func upChain(ctx context.Context, dir string, c localnet.Chain, cupr uint64) (*localnet.Localnet, error) {
	return localnet.Up(ctx, localnet.Options{
		Dir: dir, Redis: true, Backend: true, Log: os.Stderr, Chain: c, ComputeUnitsPerRelay: cupr,
		Endpoints: []localnet.Endpoint{placeholderEndpoint()},
	})
}

// placeholderEndpoint is the staked URL: the relay client is always pointed at our relayer
// with --supplier-public-endpoint-override, so nothing listens here.
func placeholderEndpoint() localnet.Endpoint {
	return localnet.Endpoint{ServiceID: localnet.DefaultServiceID, RPCType: localnet.RPCTypeJSONRPC, URL: "http://127.0.0.1:1"}
}

// stakeExtraSuppliers stakes supplier2 (owner = operator) and the poor operator (owned by
// supplier2, so its own balance only pays fees), and waits until both are in app1's session.
func stakeExtraSuppliers(ctx context.Context, l *localnet.Localnet) error {
	a := l.Accounts
	for _, s := range []localnet.SupplierStake{
		{Owner: a.Supplier2, Endpoints: []localnet.Endpoint{placeholderEndpoint()}},
		{Owner: a.Supplier2, Operator: a.PoorOperator, Endpoints: []localnet.Endpoint{placeholderEndpoint()}},
	} {
		if _, err := l.StakeSupplier(ctx, s); err != nil {
			return err
		}
	}
	for _, op := range []string{a.Supplier2.Address, a.PoorOperator.Address} {
		if _, err := l.WaitSupplierInSession(ctx, a.Application.Address, l.ServiceID, op); err != nil {
			return err
		}
	}
	return nil
}

// buildRelayMiner builds pocket-relay-miner into dir once for every test of the package.
func buildRelayMiner(ctx context.Context, dir string) (string, error) {
	root, err := localnet.RepoRoot(ctx)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "pocket-relay-miner")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/pocket-relay-miner")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build pocket-relay-miner: %w\n%s", err, out)
	}
	return bin, nil
}
