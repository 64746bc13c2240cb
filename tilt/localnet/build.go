package localnet

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
	if err := cmd.Run(); err != nil {
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
