package localnet

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
)

// Pocketd runs `pocketd args… --home Home` and returns its stdout. A failure carries stderr.
func (l *Localnet) Pocketd(ctx context.Context, args ...string) ([]byte, error) {
	return l.pocketdIn(ctx, nil, args...)
}

func (l *Localnet) pocketdIn(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	args = append(args, "--home", l.Home)
	cmd := exec.CommandContext(ctx, l.PocketdPath, args...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("pocketd %s: %w\n%s%s", strings.Join(args[:min(3, len(args))], " "), err, stderr.String(), stdout.String())
	}
	return stdout.Bytes(), nil
}

// keyringFlags are the flags every command that touches keys needs.
var keyringFlags = []string{"--keyring-backend", "test"}

// pocketdCombined runs pocketd with args as given (no --home added) and returns stdout and
// stderr together.
func (l *Localnet) pocketdCombined(ctx context.Context, args ...string) ([]byte, error) {
	out, err := exec.CommandContext(ctx, l.PocketdPath, args...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("pocketd %s: %w", strings.Join(args[:min(2, len(args))], " "), err)
	}
	return out, nil
}
