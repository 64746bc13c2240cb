//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/shannon-ops/pocket-relay-miner/tilt/backend"
)

// transportReport is relayReport plus the fields of the websocket, grpc and stream transports.
type transportReport struct {
	relayReport
	FirstFrameMS *struct {
		P50 float64 `json:"p50"`
		Max float64 `json:"max"`
	} `json:"first_frame_ms"`
	FramesPerRelay *struct {
		Total int64   `json:"total"`
		Min   int64   `json:"min"`
		Mean  float64 `json:"mean"`
	} `json:"frames_per_relay"`
	TargetExtra struct {
		Transport string `json:"transport"`
		Dials     int64  `json:"dials"`
	} `json:"target"`
}

// relayTransport runs `relay <transport>` as gateway1 for app1 against our relayer at
// endpoint, with args; it returns stdout and stderr.
func relayTransport(t *testing.T, ctx context.Context, transport, endpoint string, args ...string) (string, string, error) {
	t.Helper()
	buildRelayTool(t, ctx)
	base := []string{"relay", transport, "--node", chain.RPCURL, "--grpc-addr", chain.GRPCAddr, "--grpc-insecure",
		"--app", chain.Accounts.Application.Address, "--service", chain.ServiceID, "--keyring-dir", chain.Home,
		"--key-name", chain.Accounts.Gateway.Name, "--endpoint", endpoint}
	cmd := exec.CommandContext(ctx, relayBin, append(base, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err
}

// firstRelay sends single relays (printed in full) until one verifies: just after it is ready,
// our relayer's block feed may still be behind the node the tool asked for the session. It
// returns the printed relay.
func firstRelay(t *testing.T, ctx context.Context, transport, endpoint string, args ...string) string {
	t.Helper()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for try := 1; ; try++ {
		out, errOut, err := relayTransport(t, ctx, transport, endpoint, args...)
		if err == nil && strings.Contains(out, "signature:     verified") {
			return out
		}
		if try == 15 {
			t.Fatalf("single %s relay: %v\n%s\n%s", transport, err, out, errOut)
		}
		t.Logf("single %s relay, try %d: %v %s", transport, try, err, lastLine(out))
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}
}

// transportLoad runs a load with --output json and checks that every relay succeeded with a
// verified signature.
func transportLoad(t *testing.T, ctx context.Context, transport, endpoint string, count int64, args ...string) transportReport {
	t.Helper()
	out, errOut, err := relayTransport(t, ctx, transport, endpoint, append(args, "--output", "json")...)
	if err != nil {
		t.Fatalf("relay %s: %v\nstdout:\n%s\nstderr:\n%s", transport, err, out, errOut)
	}
	var rep transportReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out)
	}
	if err := json.Unmarshal([]byte(out), &rep.relayReport); err != nil {
		t.Fatal(err)
	}
	if count == 0 {
		count = rep.Sent
	}
	checkAllVerified(t, rep.relayReport, count)
	if rep.TargetExtra.Transport != transport {
		t.Fatalf("report target transport %q, want %q", rep.TargetExtra.Transport, transport)
	}
	t.Logf("relay %s: %d relays, %.1f relays/s, p50 %.1f ms, p99 %.1f ms", transport, rep.Sent, rep.ThroughputRPS,
		rep.LatencyMS.P50, rep.LatencyMS.P99)
	return rep
}

// TestRelayToolWebSocket: `relay websocket` against our relayer's WebSocket bridge (the
// backend's /ws echo): one relay printed in full, then 10 frames at concurrency 2 over 2
// connections, every response verified; then an open-loop run across session boundaries,
// during which the bridge closes each connection at its session's claim window and the tool
// reconnects without losing a relay.
func TestRelayToolWebSocket(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	r := startWSRelayer(t, ctx)
	t.Cleanup(func() { _ = r.rdb.Close() })
	out := firstRelay(t, ctx, "websocket", r.url, "--payload", ethBlockNumber)
	if !strings.Contains(out, "responses:     1 signed binary messages") || !strings.Contains(out, `"eth_blockNumber"`) {
		t.Fatalf("single websocket relay:\n%s", out)
	}
	t.Logf("single websocket relay:\n%s", out)

	rep := transportLoad(t, ctx, "websocket", r.url, 10, "--payload", ethBlockNumber, "--count", "10", "--concurrency", "2")
	if rep.FramesPerRelay == nil || rep.FramesPerRelay.Total != 10 || rep.TargetExtra.Dials != 2 {
		t.Fatalf("frames %+v, dials %d: want 10 responses on 2 connections", rep.FramesPerRelay, rep.TargetExtra.Dials)
	}

	rep = transportLoad(t, ctx, "websocket", r.url, 0, "--payload", ethBlockNumber, "--duration", "12s", "--rps", "10",
		"--concurrency", "2", "--height-poll", "250ms")
	if rep.Sent < 100 || len(rep.Target.Sessions) < 2 {
		t.Fatalf("%d relays in %d sessions: want at least 100 in 2", rep.Sent, len(rep.Target.Sessions))
	}
	t.Logf("websocket rollover: %d relays across %d sessions on %d connections opened, all verified",
		rep.Sent, len(rep.Target.Sessions), rep.TargetExtra.Dials)
}

// TestRelayToolGRPCAndStream: `relay grpc` (the backend's Echo, grpc-status 0) and `relay
// stream` (the backend's SSE, every frame verified, time to first frame reported) against our
// relayer.
func TestRelayToolGRPCAndStream(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	r := startStreamRelayer(t, ctx)
	t.Cleanup(func() { _ = r.rdb.Close() })
	msg, err := proto.Marshal(wrapperspb.Bytes([]byte("relay tool")))
	if err != nil {
		t.Fatal(err)
	}
	grpcArgs := []string{"--method", backend.GRPCEchoMethod, "--message-hex", hex.EncodeToString(msg)}
	out := firstRelay(t, ctx, "grpc", r.url, grpcArgs...)
	if !strings.Contains(out, "grpc-status:   0") || !strings.Contains(out, hex.EncodeToString(msg)) {
		t.Fatalf("single grpc relay:\n%s", out)
	}
	t.Logf("single grpc relay:\n%s", out)
	transportLoad(t, ctx, "grpc", r.url, 10, append(grpcArgs, "--count", "10", "--concurrency", "2")...)

	sse := []string{"--path", "/stream/sse?count=5&interval=20ms"}
	out = firstRelay(t, ctx, "stream", r.url, sse...)
	if !strings.Contains(out, "content-type:  text/event-stream") || !strings.Contains(out, `data: {"n":5}`) ||
		!strings.Contains(out, "trailer:       Pocket-Relay-Response verified") {
		t.Fatalf("single stream relay:\n%s", out)
	}
	t.Logf("single stream relay:\n%s", out)
	rep := transportLoad(t, ctx, "stream", r.url, 3, append(sse, "--count", "3")...)
	if rep.FirstFrameMS == nil || rep.FramesPerRelay == nil || rep.FramesPerRelay.Min < 1 ||
		rep.FirstFrameMS.P50 >= rep.LatencyMS.P50 {
		t.Fatalf("first frame %+v, frames %+v, latency p50 %.1f ms", rep.FirstFrameMS, rep.FramesPerRelay, rep.LatencyMS.P50)
	}
	t.Logf("stream: first frame p50 %.1f ms of %.1f ms per relay, %.1f frames per relay", rep.FirstFrameMS.P50,
		rep.LatencyMS.P50, rep.FramesPerRelay.Mean)
}
