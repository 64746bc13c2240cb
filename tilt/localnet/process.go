package localnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Proc is one process the stack started.
type Proc struct {
	// Name identifies the process in logs, PID files and Status ("pocketd", "redis", …).
	Name string `json:"name"`
	// PID of the process.
	PID int `json:"pid"`
	// Binary is the resolved path of the executable; Down checks /proc/PID/exe against it
	// before signalling, so a recycled PID is never killed.
	Binary string `json:"binary"`
	// Addrs are the host:port listeners Down waits to see closed.
	Addrs []string `json:"addrs"`
	// Log is the file that holds its stdout and stderr.
	Log string `json:"log"`

	done chan struct{} // closed when an in-process Wait returned; nil for a loaded Proc
}

// stopTimeout bounds how long a process may take to exit after SIGTERM before SIGKILL.
const stopTimeout = 20 * time.Second

// startProc starts bin with args, output appended to Dir/logs/<name>.log, and records it.
func (l *Localnet) startProc(name, bin string, args []string, addrs []string) (*Proc, error) {
	logPath := filepath.Join(l.Dir, "logs", name+".log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	abs, err := filepath.Abs(bin)
	if err != nil {
		return nil, err
	}
	// /proc/PID/exe names the resolved file (redis-server is often a symlink).
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	cmd := exec.Command(abs, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Dir = l.Dir
	if l.detach {
		// A session of its own: the process survives the CLI and the terminal's signals.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	} else {
		// Tests: the process dies with its parent even if the test binary crashes.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Proc{Name: name, PID: cmd.Process.Pid, Binary: real, Addrs: addrs, Log: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait() // reaps the child; Down learns of the exit through done
		close(p.done)
	}()
	l.Procs = append(l.Procs, p)
	if err := l.writePIDFile(p); err != nil {
		return p, err
	}
	return p, l.save()
}

func (l *Localnet) writePIDFile(p *Proc) error {
	dir := filepath.Join(l.Dir, "pids")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, p.Name+".json"), b, 0o644)
}

// running reports whether p's PID is alive, not a zombie, and still runs p.Binary.
func (p *Proc) running() bool {
	if p.done != nil {
		select {
		case <-p.done:
			return false
		default:
		}
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(p.PID) + "/stat")
	if err != nil {
		return false
	}
	// Field 3, after the parenthesised command name, is the state.
	if i := strings.LastIndexByte(string(stat), ')'); i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z' {
		return false
	}
	exe, err := os.Readlink("/proc/" + strconv.Itoa(p.PID) + "/exe")
	if err != nil {
		return false
	}
	return strings.TrimSuffix(exe, " (deleted)") == p.Binary
}

// stop sends SIGTERM, waits for the exit (SIGKILL after stopTimeout) and then for its listeners
// to close. A process that no longer runs p.Binary is left alone.
func (p *Proc) stop(ctx context.Context) error {
	if !p.running() {
		return p.waitListenersClosed(ctx)
	}
	if err := syscall.Kill(p.PID, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop %s (pid %d): %w", p.Name, p.PID, err)
	}
	tctx, cancel := context.WithTimeout(ctx, stopTimeout)
	err := poll(tctx, p.Name+" to exit", 50*time.Millisecond, func(context.Context) (bool, error) {
		return !p.running(), nil
	})
	cancel()
	if err != nil {
		if kerr := syscall.Kill(p.PID, syscall.SIGKILL); kerr != nil && !errors.Is(kerr, syscall.ESRCH) {
			return fmt.Errorf("kill %s (pid %d): %w", p.Name, p.PID, kerr)
		}
		if err := poll(ctx, p.Name+" to die", 50*time.Millisecond, func(context.Context) (bool, error) {
			return !p.running(), nil
		}); err != nil {
			return err
		}
	}
	return p.waitListenersClosed(ctx)
}

func (p *Proc) waitListenersClosed(ctx context.Context) error {
	for _, a := range p.Addrs {
		err := poll(ctx, p.Name+" listener "+a+" to close", 50*time.Millisecond, func(ctx context.Context) (bool, error) {
			return !listening(ctx, a), nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// listening reports whether something accepts TCP connections on addr.
func listening(ctx context.Context, addr string) bool {
	d := net.Dialer{Timeout: 500 * time.Millisecond}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

// waitListening waits until p accepts connections on addr, failing early if p exits.
func (p *Proc) waitListening(ctx context.Context, addr string) error {
	return poll(ctx, p.Name+" to listen on "+addr, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		if !p.running() {
			return true, fmt.Errorf("%s exited; see %s:\n%s", p.Name, p.Log, tail(p.Log, 20))
		}
		return listening(ctx, addr), nil
	})
}

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// freePorts returns n distinct free loopback ports. Every listener stays open until all are
// chosen, so the same port is never returned twice.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			_ = ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("pick a free port: %w", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// assignPorts replaces every zero port with a free one.
func assignPorts(p *Ports) error {
	fields := []*int{&p.RPC, &p.P2P, &p.ABCI, &p.GRPC, &p.API, &p.Redis, &p.Backend, &p.RelayMiner}
	free, err := freePorts(len(fields))
	if err != nil {
		return err
	}
	for i, f := range fields {
		if *f == 0 {
			*f = free[i]
		}
	}
	return nil
}

// ProcessSpec describes an extra process for StartProcess: later components (our relayer and
// miner) join the stack this way, so Down stops them with everything else.
type ProcessSpec struct {
	// Name is unique within the stack ("relayer", "miner-1", …).
	Name string
	// Binary and Args are what runs; the working directory is Dir.
	Binary string
	Args   []string
	// Addrs are host:port listeners StartProcess waits for and Down waits to see closed.
	Addrs []string
}

// StartProcess starts spec as a recorded process of the stack and waits until every one of its
// Addrs accepts connections (or ctx ends, or the process exits).
func (l *Localnet) StartProcess(ctx context.Context, spec ProcessSpec) (*Proc, error) {
	// A name may be reused once its process has stopped (tests restart components); two live
	// processes never share a name, because the PID file is keyed by it.
	for i, p := range l.Procs {
		if p.Name != spec.Name {
			continue
		}
		if p.running() {
			return nil, fmt.Errorf("localnet: a process named %q (pid %d) is already running", spec.Name, p.PID)
		}
		l.Procs = append(l.Procs[:i], l.Procs[i+1:]...)
		break
	}
	p, err := l.startProc(spec.Name, spec.Binary, spec.Args, spec.Addrs)
	if err != nil {
		return p, err
	}
	for _, a := range spec.Addrs {
		if err := p.waitListening(ctx, a); err != nil {
			return p, err
		}
	}
	return p, nil
}
