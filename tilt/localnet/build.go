package localnet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// RepoRoot returns the directory of the main module's go.mod, as `go env GOMOD` reports it from
// the working directory.
func RepoRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module (go env GOMOD = %q)", mod)
	}
	return filepath.Dir(mod), nil
}

// EnsurePocketd returns root/bin/pocketd, running `make pocketd` first. The Makefile builds it
// from the poktroll module pinned in go.mod with the version ldflags, and only when the binary
// is missing or older than go.mod/go.sum (a cold build takes about 3 minutes on 2 cores).
func EnsurePocketd(ctx context.Context, root string, log io.Writer) (string, error) {
	bin := filepath.Join(root, "bin", "pocketd")
	cmd := exec.CommandContext(ctx, "make", "--no-print-directory", "-C", root, "pocketd")
	var out bytes.Buffer
	if log == nil {
		log = io.Discard
	}
	cmd.Stdout = io.MultiWriter(&out, log)
	cmd.Stderr = cmd.Stdout
	if err := runWithProgress(ctx, cmd, log, "make pocketd", progressEvery); err != nil {
		return "", fmt.Errorf("make pocketd: %w\n%s", err, out.String())
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("make pocketd left no binary: %w", err)
	}
	return bin, nil
}

// EnsureBackendServer builds root/bin/backend-server with `go build` (seconds when cached).
func EnsureBackendServer(ctx context.Context, root string) (string, error) {
	bin := filepath.Join(root, "bin", "backend-server")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./tilt/backend-server")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build backend-server: %w\n%s", err, out)
	}
	return bin, nil
}

// progressEvery is how often a long command reports that it is still running.
const progressEvery = 30 * time.Second

// runWithProgress runs cmd and writes a "still running" line to log every interval, so a cold
// pocketd build does not look hung. cmd must come from exec.CommandContext(ctx, …).
func runWithProgress(ctx context.Context, cmd *exec.Cmd, log io.Writer, what string, every time.Duration) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	start := time.Now()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-t.C:
			fmt.Fprintf(log, "localnet: %s still running (%s)\n", what, time.Since(start).Round(time.Second))
		case <-ctx.Done():
			// exec.CommandContext kills the process; Wait then returns.
			return errors.Join(ctx.Err(), <-done)
		}
	}
}
