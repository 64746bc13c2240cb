package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// startTimeout bounds how long a server may take to answer its first PING.
const startTimeout = 15 * time.Second

// ErrNoRedisServer is returned when the redis-server binary cannot be found.
var ErrNoRedisServer = errors.New("redis-server not found in PATH: run `make deps` (installs it with apt-get) or `apt-get install redis-server`")

// Server is one running redis-server process owned by a test.
type Server struct {
	// Addr is host:port on the loopback interface.
	Addr string
	// Port is the TCP port the server listens on.
	Port int

	cmd     *exec.Cmd
	dir     string
	exited  chan struct{}
	logPath string

	closeOnce sync.Once
	closeErr  error
}

// URL returns the redis:// URL of the server, for config-driven code paths.
func (s *Server) URL() string { return "redis://" + s.Addr }

// Client returns a new go-redis client for the server. The caller closes it.
func (s *Server) Client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: s.Addr})
}

// Start launches a standalone redis-server for t and stops it in t.Cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := New()
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("redistest: %v", err)
		}
	})
	return s
}

// New launches a standalone redis-server on a free loopback port. It is for TestMain, where no
// testing.TB exists; the caller must Close it.
func New(extraArgs ...string) (*Server, error) {
	var lastErr error
	// A free port can be taken between our probe and redis' bind; try a few.
	for range 5 {
		port, err := freePort(false)
		if err != nil {
			return nil, err
		}
		s, err := launch(port, extraArgs)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if errors.Is(err, ErrNoRedisServer) {
			break
		}
	}
	return nil, lastErr
}

func launch(port int, extraArgs []string) (*Server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, ErrNoRedisServer
	}
	dir, err := os.MkdirTemp("", "redistest-*")
	if err != nil {
		return nil, fmt.Errorf("make temp dir: %w", err)
	}
	logPath := filepath.Join(dir, "redis.log")
	args := []string{
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", dir,
		"--logfile", logPath,
		"--daemonize", "no",
		"--protected-mode", "yes",
	}
	args = append(args, extraArgs...)
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	s := &Server{
		Addr:    net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Port:    port,
		cmd:     cmd,
		dir:     dir,
		exited:  make(chan struct{}),
		logPath: logPath,
	}
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitReady(); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := c.Ping(ctx).Err(); err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("redis-server on port %d exited during start: %s", s.Port, s.logTail())
		case <-ctx.Done():
			return fmt.Errorf("redis-server on port %d did not answer PING within %s: %s", s.Port, startTimeout, s.logTail())
		case <-tick.C:
		}
	}
}

func (s *Server) logTail() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return "(no log)"
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, " | ")
}

// Kill stops the server abruptly (SIGKILL), as a crash would. Close still cleans up after it.
func (s *Server) Kill() {
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// Close stops the server and removes its directory. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		select {
		case <-s.exited:
		default:
			_ = s.cmd.Process.Signal(os.Interrupt)
			select {
			case <-s.exited:
			case <-time.After(5 * time.Second):
				_ = s.cmd.Process.Kill()
				<-s.exited
			}
		}
		if err := os.RemoveAll(s.dir); err != nil {
			s.closeErr = fmt.Errorf("remove %s: %w", s.dir, err)
		}
	})
	return s.closeErr
}

// freePort asks the kernel for a free loopback port. With bus set it also requires port+10000
// to be free, as Redis Cluster's bus port needs.
func freePort(bus bool) (int, error) {
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("find free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		if port == 6379 {
			continue
		}
		if !bus {
			return port, nil
		}
		if port+10000 > 65535 {
			continue
		}
		lb, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+10000)))
		if err != nil {
			continue
		}
		_ = lb.Close()
		return port, nil
	}
	return 0, errors.New("find free port: no candidate after 50 tries")
}
