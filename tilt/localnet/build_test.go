package localnet

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// progressLog hands the first progress line to the test through a channel (safe across goroutines).
type progressLog struct {
	ch chan string
}

func (l *progressLog) Write(p []byte) (int, error) {
	select {
	case l.ch <- string(p):
	default:
	}
	return len(p), nil
}

func TestRunWithProgressReportsAndCancels(t *testing.T) {
	ports, err := freePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, self, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=127.0.0.1:"+strconv.Itoa(ports[0]))
	log := &progressLog{ch: make(chan string, 1)}
	errc := make(chan error, 1)
	go func() { errc <- runWithProgress(ctx, cmd, log, "helper", 10*time.Millisecond) }()
	line := <-log.ch // the helper runs until killed, so progress must be reported
	if !strings.Contains(line, "helper still running") {
		t.Fatalf("progress line %q", line)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestRunWithProgressReturnsExitStatus(t *testing.T) {
	cmd := exec.CommandContext(t.Context(), "go", "version")
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := runWithProgress(t.Context(), cmd, &out, "go version", time.Hour); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "go version") {
		t.Fatalf("output %q", out.String())
	}
	bad := exec.CommandContext(t.Context(), "go", "no-such-subcommand")
	if err := runWithProgress(t.Context(), bad, &out, "go", time.Hour); err == nil {
		t.Fatal("a failing command reported success")
	}
}
