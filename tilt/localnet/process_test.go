package localnet

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func TestFreePortsDistinct(t *testing.T) {
	ports, err := freePorts(8)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p <= 0 || seen[p] {
			t.Fatalf("bad or repeated port %d in %v", p, ports)
		}
		seen[p] = true
	}
	var pp Ports
	pp.RPC = 1234
	if err := assignPorts(&pp); err != nil {
		t.Fatal(err)
	}
	if pp.RPC != 1234 || pp.GRPC == 0 || pp.RelayMiner == 0 {
		t.Fatalf("assignPorts: %+v", pp)
	}
}

// TestProcLifecycle starts a real child process that listens, records it, then stops it both
// through the in-process handle and through a state file loaded as another process would.
func TestProcLifecycle(t *testing.T) {
	for _, viaLoad := range []bool{false, true} {
		t.Run("load="+strconv.FormatBool(viaLoad), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			ports, err := freePorts(1)
			if err != nil {
				t.Fatal(err)
			}
			addr := "127.0.0.1:" + strconv.Itoa(ports[0])
			t.Setenv(helperEnv, addr)
			l := &Localnet{Dir: t.TempDir(), http: newHTTPClient()}
			self, err := os.Executable()
			if err != nil {
				t.Fatal(err)
			}
			p, err := l.startProc("helper", self, []string{"-test.run=^$"}, []string{addr})
			if err != nil {
				t.Fatal(err)
			}
			if err := p.waitListening(ctx, addr); err != nil {
				t.Fatal(err)
			}
			if !p.running() {
				t.Fatal("running() is false for a live child")
			}
			if _, err := os.Stat(filepath.Join(l.Dir, "pids", "helper.json")); err != nil {
				t.Fatalf("no PID file: %v", err)
			}
			down := l
			if viaLoad {
				if down, err = Load(l.Dir); err != nil {
					t.Fatal(err)
				}
				if !down.Procs[0].running() {
					t.Fatal("loaded Proc does not see the child running")
				}
			}
			if err := down.Down(ctx); err != nil {
				t.Fatalf("Down: %v", err)
			}
			if listening(ctx, addr) {
				t.Fatalf("%s still listening after Down", addr)
			}
			<-p.done // the child has been reaped
			if _, err := os.Stat(filepath.Join(l.Dir, StateFile)); !os.IsNotExist(err) {
				t.Fatalf("state file left behind: %v", err)
			}
		})
	}
}

// TestProcRecycledPIDIsLeftAlone checks that a recorded PID now running another binary is not
// signalled.
func TestProcRecycledPIDIsLeftAlone(t *testing.T) {
	p := &Proc{Name: "other", PID: os.Getpid(), Binary: "/nonexistent/pocketd"}
	if p.running() {
		t.Fatal("a PID running another binary counts as ours")
	}
	if err := p.stop(t.Context()); err != nil {
		t.Fatalf("stop: %v", err)
	}
}

// TestStartProcessReusesStoppedName restarts a component under the same name, as tests that
// stop and restart our relayer do; a second live process with that name is refused.
func TestStartProcessReusesStoppedName(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	l := &Localnet{Dir: t.TempDir(), http: newHTTPClient()}
	start := func() (*Proc, error) {
		ports, err := freePorts(1)
		if err != nil {
			t.Fatal(err)
		}
		addr := "127.0.0.1:" + strconv.Itoa(ports[0])
		t.Setenv(helperEnv, addr)
		return l.StartProcess(ctx, ProcessSpec{Name: "relayer", Binary: self, Args: []string{"-test.run=^$"}, Addrs: []string{addr}})
	}
	first, err := start()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := start(); err == nil {
		t.Fatal("a second live process with the same name was started")
	}
	if err := first.stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := start(); err != nil {
		t.Fatalf("restart under the same name: %v", err)
	}
	if len(l.Procs) != 1 {
		t.Fatalf("%d processes recorded, want 1", len(l.Procs))
	}
	if err := l.Down(ctx); err != nil {
		t.Fatal(err)
	}
}
