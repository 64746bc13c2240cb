package localnet

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// serviceStartTimeout bounds the wait for a helper process to listen.
const serviceStartTimeout = time.Minute

// startRedis starts a redis-server on Ports.Redis that keeps nothing on disk.
func (l *Localnet) startRedis(ctx context.Context) error {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return fmt.Errorf("redis-server not found (run make deps): %w", err)
	}
	dir := filepath.Join(l.Dir, "redis")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(l.Ports.Redis)
	ctx, cancel := context.WithTimeout(ctx, serviceStartTimeout)
	defer cancel()
	if _, err := l.StartProcess(ctx, ProcessSpec{Name: "redis", Binary: bin, Addrs: []string{addr}, Args: []string{
		"--port", strconv.Itoa(l.Ports.Redis), "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning",
	}}); err != nil {
		return err
	}
	l.RedisURL = "redis://" + addr
	l.logf("redis-server on %s", l.RedisURL)
	return l.save()
}

// startBackend starts bin/backend-server on Ports.Backend with default knobs.
func (l *Localnet) startBackend(ctx context.Context) error {
	bin := filepath.Join(l.repoRoot, "bin", "backend-server")
	addr := "127.0.0.1:" + strconv.Itoa(l.Ports.Backend)
	ctx, cancel := context.WithTimeout(ctx, serviceStartTimeout)
	defer cancel()
	if _, err := l.StartProcess(ctx, ProcessSpec{Name: "backend", Binary: bin, Args: []string{"-listen", addr}, Addrs: []string{addr}}); err != nil {
		return err
	}
	l.BackendURL = "http://" + addr
	l.logf("backend-server on %s", l.BackendURL)
	return l.save()
}
