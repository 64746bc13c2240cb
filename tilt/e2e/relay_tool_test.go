//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shannon-ops/pocket-relay-miner/tilt/localnet"
)

// relayReport is the part of `relay --output json` the tests read (stable field names).
type relayReport struct {
	Sent               int64            `json:"sent"`
	Success            int64            `json:"success"`
	Errors             int64            `json:"errors"`
	SignaturesVerified int64            `json:"signatures_verified"`
	ThroughputRPS      float64          `json:"throughput_rps"`
	ErrorsByCategory   map[string]int64 `json:"errors_by_category"`
	LatencyMS          struct {
		P50, P99 float64
	} `json:"latency_ms"`
	Target struct {
		Sessions []struct {
			SessionID string `json:"session_id"`
			EndHeight int64  `json:"end_height"`
		} `json:"sessions"`
	} `json:"target"`
}

var (
	relayBinOnce sync.Once
	relayBin     string
	relayBinErr  error
)

// buildRelayTool builds the binary once per test run, whichever test asks first.
func buildRelayTool(t *testing.T, ctx context.Context) {
	t.Helper()
	relayBinOnce.Do(func() {
		root, err := localnet.RepoRoot(ctx)
		if err != nil {
			relayBinErr = err
			return
		}
		relayBin = filepath.Join(chain.Dir, "relay-tool")
		build := exec.CommandContext(ctx, "go", "build", "-o", relayBin, "./cmd/pocket-relay-miner")
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			relayBinErr = err
			t.Logf("go build: %s", out)
		}
	})
	if relayBinErr != nil {
		t.Fatalf("build: %v", relayBinErr)
	}
}

// relayTool builds the binary once per test run and runs `relay jsonrpc` with the chain's
// flags plus args; it returns stdout and stderr.
func relayTool(t *testing.T, ctx context.Context, args ...string) (string, string, error) {
	t.Helper()
	buildRelayTool(t, ctx)
	base := []string{"relay", "jsonrpc", "--node", chain.RPCURL, "--grpc-addr", chain.GRPCAddr, "--grpc-insecure",
		"--app", chain.Accounts.Application.Address, "--service", chain.ServiceID, "--keyring-dir", chain.Home,
		"--payload", ethBlockNumber}
	cmd := exec.CommandContext(ctx, relayBin, append(base, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err
}

func runLoad(t *testing.T, ctx context.Context, args ...string) relayReport {
	t.Helper()
	out, errOut, err := relayTool(t, ctx, append(args, "--output", "json")...)
	if err != nil {
		t.Fatalf("relay: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	var rep relayReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out)
	}
	return rep
}

func checkAllVerified(t *testing.T, rep relayReport, want int64) {
	t.Helper()
	if rep.Sent != want || rep.Success != want || rep.Errors != 0 || rep.SignaturesVerified != want {
		t.Fatalf("sent %d success %d errors %d (%v) verified %d, want all %d", rep.Sent, rep.Success, rep.Errors,
			rep.ErrorsByCategory, rep.SignaturesVerified, want)
	}
}

// TestRelayToolSingle: one relay to poktroll's reference relay miner at supplier1's staked
// endpoint, signed as the application, printed in full with a verified signature.
func TestRelayToolSingle(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	out, errOut, err := relayTool(t, ctx, "--key-name", chain.Accounts.Application.Name)
	if err != nil {
		t.Fatalf("relay: %v\n%s\n%s", err, out, errOut)
	}
	for _, want := range []string{"relay miner:   HTTP 200", "status:        200", `"result"`, "signature:     verified", "network:"} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
	t.Logf("single relay:\n%s", out)
}

// TestRelayToolLoadReference: 50 relays at concurrency 4 to the reference relay miner, all
// answered and every signature verified.
func TestRelayToolLoadReference(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	rep := runLoad(t, ctx, "--key-name", chain.Accounts.Application.Name, "--count", "50", "--concurrency", "4")
	checkAllVerified(t, rep, 50)
	t.Logf("reference relay miner: %.1f relays/s, p50 %.1f ms, p99 %.1f ms", rep.ThroughputRPS, rep.LatencyMS.P50, rep.LatencyMS.P99)
}

// TestRelayToolFollowsSessionRollover: an open-loop run longer than two sessions (4 blocks
// of ~1 s) switches sessions and loses no relay (INCUMBENT item 16).
func TestRelayToolFollowsSessionRollover(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	rep := runLoad(t, ctx, "--key-name", chain.Accounts.Gateway.Name, "--duration", "10s", "--rps", "20",
		"--concurrency", "4", "--height-poll", "250ms")
	checkAllVerified(t, rep, rep.Sent)
	if rep.Sent < 150 {
		t.Fatalf("only %d relays sent in 10 s at 20 rps", rep.Sent)
	}
	if len(rep.Target.Sessions) < 2 {
		t.Fatalf("run stayed in %d session(s): %+v", len(rep.Target.Sessions), rep.Target.Sessions)
	}
	t.Logf("%d relays across %d sessions, all verified", rep.Sent, len(rep.Target.Sessions))
}

// TestRelayToolLoadOurs: the same load against our relayer (gateway-signed).
func TestRelayToolLoadOurs(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	r := startRelayer(t, ctx)
	t.Cleanup(func() { _ = r.rdb.Close() }) // the harness's client is not closed by it
	// Just after it is ready, our relayer's block feed may still be a block or two behind the
	// node the client asked for the session (seen: "session starts at 101, after the current
	// height 99"); give it up to 10 tries a second apart before the measured run.
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for try := 1; ; try++ {
		out, errOut, err := relayTool(t, ctx, "--key-name", chain.Accounts.Gateway.Name, "--endpoint", r.url)
		if err == nil && strings.Contains(out, "signature:     verified") {
			break
		}
		if try == 10 {
			t.Fatalf("single relay to our relayer: %v\n%s\n%s", err, out, errOut)
		}
		t.Logf("single relay to our relayer, try %d: %v", try, lastLine(out))
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}
	rep := runLoad(t, ctx, "--key-name", chain.Accounts.Gateway.Name, "--endpoint", r.url, "--count", "50", "--concurrency", "4")
	checkAllVerified(t, rep, 50)
	t.Logf("our relayer: %.1f relays/s, p50 %.1f ms, p99 %.1f ms", rep.ThroughputRPS, rep.LatencyMS.P50, rep.LatencyMS.P99)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
