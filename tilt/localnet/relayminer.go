package localnet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// relayMinerStartTimeout bounds the wait for the reference relay miner to listen; it syncs
// with the node first.
const relayMinerStartTimeout = 2 * time.Minute

// RelayMinerConfig renders the YAML config of poktroll's reference relay miner
// (pkg/relayer/config) for supplier1: one server on Ports.RelayMiner that forwards ServiceID to
// backendURL; metrics, pprof and ping are off.
func (l *Localnet) RelayMinerConfig(backendURL string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "default_signing_key_names: [%s]\n", l.Accounts.Supplier.Name)
	fmt.Fprintf(&b, "smt_store_path: %q\n", filepath.Join(l.Dir, "relayminer", "smt"))
	fmt.Fprintf(&b, "pocket_node:\n  query_node_rpc_url: %s\n  query_node_grpc_url: tcp://%s\n  tx_node_rpc_url: %s\n",
		l.NodeRPC, l.GRPCAddr, l.NodeRPC)
	fmt.Fprintf(&b, "suppliers:\n  - service_id: %q\n    listen_url: http://127.0.0.1:%d\n    service_config:\n      backend_url: %q\n",
		l.ServiceID, l.Ports.RelayMiner, strings.TrimSuffix(backendURL, "/")+"/")
	b.WriteString("metrics:\n  enabled: false\npprof:\n  enabled: false\nping:\n  enabled: false\n")
	return b.String()
}

// StartRelayMiner starts `pocketd relayminer start` for supplier1 with the backend-server as
// its backend, and waits until it listens on Ports.RelayMiner.
func (l *Localnet) StartRelayMiner(ctx context.Context) error {
	if l.BackendURL == "" {
		return errors.New("localnet: the reference relay miner needs the backend (Options.Backend)")
	}
	dir := filepath.Join(l.Dir, "relayminer")
	if err := os.MkdirAll(filepath.Join(dir, "smt"), 0o755); err != nil {
		return err
	}
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(l.RelayMinerConfig(l.BackendURL)), 0o644); err != nil {
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(l.Ports.RelayMiner)
	ctx, cancel := context.WithTimeout(ctx, relayMinerStartTimeout)
	defer cancel()
	args := []string{
		"relayminer", "start", "--config", cfg, "--home", l.Home, "--keyring-backend", "test", "--chain-id", l.ChainID,
		"--grpc-insecure=true", "--log_level", "info",
	}
	if l.Chain.GasPrice != DefaultGasPrice { // its claims and proofs must pay the node's minimum
		args = append(args, "--gas-prices", l.Chain.GasPrice)
	}
	if _, err := l.StartProcess(ctx, ProcessSpec{Name: "relayminer", Binary: l.PocketdPath, Addrs: []string{addr}, Args: args}); err != nil {
		return err
	}
	l.RelayMinerURL = "http://" + addr
	l.logf("reference relay miner (pocketd relayminer) on %s -> %s", l.RelayMinerURL, l.BackendURL)
	return l.save()
}

// RelayResult is what `pocketd relayminer relay` reported.
type RelayResult struct {
	// Sent is the number of relays requested.
	Sent int
	// Succeeded counts relays whose signed answer verified and whose backend status was 200.
	Succeeded int
	// Output is the client's combined output, for failure messages.
	Output string
}

// relayOK matches the client's per-relay success lines (with --count > 1) and its single-relay
// success line.
var relayOK = regexp.MustCompile(`Request \d+: Status code 200,|Backend response status code: 200\b`)

// RelayArgs returns the argument list of `pocketd relayminer relay` that sends count relays
// with payload from app1 to supplier1 at endpoint (the staked URL when empty).
func (l *Localnet) RelayArgs(payload string, count int, endpoint string) []string {
	return l.relayArgs(l.Accounts.Supplier.Address, payload, count, endpoint)
}

func (l *Localnet) relayArgs(supplier, payload string, count int, endpoint string) []string {
	args := []string{"relayminer", "relay",
		"--app", l.Accounts.Application.Address, "--supplier", supplier,
		"--node", l.NodeRPC, "--grpc-addr", l.GRPCAddr, "--grpc-insecure=true",
		"--keyring-backend", "test", "--home", l.Home,
		"--payload", payload, "--count", strconv.Itoa(count)}
	if endpoint != "" {
		args = append(args, "--supplier-public-endpoint-override", endpoint)
	}
	return args
}

// Relay sends count relays with poktroll's real client (ring-signed as app1, supplier
// signature verified) and counts the successes. The client exits 0 even when relays fail, so
// callers assert on Succeeded.
func (l *Localnet) Relay(ctx context.Context, payload string, count int, endpoint string) (RelayResult, error) {
	return l.RelayTo(ctx, l.Accounts.Supplier.Address, payload, count, endpoint)
}

// RelayTo is Relay to the supplier operated by supplier (any supplier in app1's session).
func (l *Localnet) RelayTo(ctx context.Context, supplier, payload string, count int, endpoint string) (RelayResult, error) {
	args := l.relayArgs(supplier, payload, count, endpoint)
	out, err := l.pocketdCombined(ctx, args...)
	res := RelayResult{Sent: count, Output: string(out)}
	res.Succeeded = len(relayOK.FindAllIndex(out, -1))
	return res, err
}
