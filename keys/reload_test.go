package keys

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// waitTimeout bounds every wait for the reloader; a healthy run takes milliseconds.
const waitTimeout = 10 * time.Second

// running is a Manager whose Run loop is active, with the reload results it reports.
type running struct {
	m       *Manager
	reloads chan error
	changes <-chan struct{}
}

// startRun starts m.Run and returns once its watches are in place. Cleanup stops it and checks
// that it returned nil.
func startRun(t *testing.T, m *Manager) *running {
	t.Helper()
	watching := make(chan struct{})
	r := &running{m: m, reloads: make(chan error, 16)}
	m.testHookWatching = func() { close(watching) }
	m.testHookReloaded = func(err error) { r.reloads <- err }
	changes, unsubscribe := m.Subscribe()
	r.changes = changes
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		unsubscribe()
	})
	select {
	case <-watching:
	case err := <-done:
		t.Fatalf("Run returned early: %v", err)
	case <-time.After(waitTimeout):
		t.Fatal("Run did not set up its watches")
	}
	return r
}

// waitChange waits for a change signal.
func (r *running) waitChange(t *testing.T) {
	t.Helper()
	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	select {
	case <-r.changes:
	case <-timer.C:
		t.Fatal("no change signal")
	}
}

// waitReload waits for the next reload Run performs and returns its result.
func (r *running) waitReload(t *testing.T) error {
	t.Helper()
	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	select {
	case err := <-r.reloads:
		return err
	case <-timer.C:
		t.Fatal("no reload")
		return nil
	}
}

func TestRunReloadsKeyDir(t *testing.T) {
	priv1, k1 := genKey(t)
	priv2, k2 := genKey(t)
	a1, a2 := wantAddress(t, priv1), wantAddress(t, priv2)
	dir := t.TempDir()
	writeFileAtomic(t, filepath.Join(dir, "one"), k1)
	m, _ := newTestManager(t, Options{Dir: dir, Debounce: 10 * time.Millisecond})
	r := startRun(t, m)

	// Add a key.
	writeFileAtomic(t, filepath.Join(dir, "two"), k2)
	r.waitChange(t)
	if _, ok := m.Get(a2); !ok {
		t.Fatalf("added key missing: %v", m.Addresses())
	}
	s1, _ := m.Get(a1)

	// A broken file keeps the last good set, and the failure is counted.
	writeFileAtomic(t, filepath.Join(dir, "three"), k2[:10])
	for r.waitReload(t) == nil { // skip reloads of events from before the break
	}
	if got := m.Addresses(); len(got) != 2 {
		t.Fatalf("addresses after a failed reload %v, want the previous two", got)
	}
	if n := gauge(t, m.metrics.reloadError); n < 1 {
		t.Fatalf("reload errors %v, want ≥ 1", n)
	}
	select {
	case <-r.changes:
		t.Fatal("change signalled for a failed reload")
	default:
	}

	// Repair, and remove a key.
	if err := os.Remove(filepath.Join(dir, "three")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "two")); err != nil {
		t.Fatal(err)
	}
	r.waitChange(t)
	if _, ok := m.Get(a2); ok {
		t.Fatalf("removed key still there: %v", m.Addresses())
	}
	if s, ok := m.Get(a1); !ok || s != s1 {
		t.Fatal("unchanged key got a new signer")
	}
	if n := gauge(t, m.metrics.loaded); n != 1 {
		t.Fatalf("keys loaded %v, want 1", n)
	}

	// Removing the last key is refused: the set stays.
	if err := os.Remove(filepath.Join(dir, "one")); err != nil {
		t.Fatal(err)
	}
	for r.waitReload(t) == nil {
	}
	if _, ok := m.Get(a1); !ok {
		t.Fatal("last key dropped")
	}
}

func TestRunReloadsHexFile(t *testing.T) {
	priv1, k1 := genKey(t)
	priv2, k2 := genKey(t)
	a1, a2 := wantAddress(t, priv1), wantAddress(t, priv2)
	dir := t.TempDir()
	file := filepath.Join(dir, "keys.yaml")
	writeFileAtomic(t, file, hexYAML(k1))
	m, reg := newTestManager(t, Options{HexFile: file, Debounce: 10 * time.Millisecond})
	r := startRun(t, m)

	writeFileAtomic(t, file, hexYAML(k1, k2)) // an editor's save: write elsewhere, rename
	r.waitChange(t)
	if got := m.Addresses(); len(got) != 2 {
		t.Fatalf("addresses %v, want %s and %s", got, a1, a2)
	}

	// An in-place write (truncate, then write) works too.
	if err := os.WriteFile(file, []byte(hexYAML(k2)), 0o600); err != nil {
		t.Fatal(err)
	}
	r.waitChange(t)
	if _, ok := m.Get(a1); ok {
		t.Fatal("removed key still there")
	}

	// Broken YAML keeps k2.
	writeFileAtomic(t, file, "keys:\n  - "+k1+"\nkeyz: []\n")
	for r.waitReload(t) == nil {
	}
	if got := m.Addresses(); len(got) != 1 || got[0] != a2 {
		t.Fatalf("addresses %v after a failed reload, want [%s]", got, a2)
	}
	if got := seriesNames(t, reg); got != "relayminer_keys_loaded relayminer_keys_reloads_total{outcome=error} relayminer_keys_reloads_total{outcome=success}" {
		t.Fatalf("series %s", got)
	}

	// Other files in the directory are ignored.
	writeFileAtomic(t, filepath.Join(dir, "other.yaml"), "x: 1\n")
	writeFileAtomic(t, file, hexYAML(k1))
	r.waitChange(t)
	if got := m.Addresses(); len(got) != 1 || got[0] != a1 {
		t.Fatalf("addresses %v, want [%s]", got, a1)
	}
}

func TestRunReloadsKeyring(t *testing.T) {
	priv1, k1 := genKey(t)
	priv2, k2 := genKey(t)
	a1, a2 := wantAddress(t, priv1), wantAddress(t, priv2)
	dir := t.TempDir()
	kr := newTestKeyring(t, dir)
	if err := kr.ImportPrivKeyHex("supplier", k1, "secp256k1"); err != nil {
		t.Fatal(err)
	}
	m, _ := newTestManager(t, Options{
		Keyring:  &KeyringOptions{Backend: BackendTest, Dir: dir, Names: []string{"supplier"}},
		Debounce: 10 * time.Millisecond,
	})
	r := startRun(t, m)

	// Replace the key under the same name, as `pocketd keys delete` and `keys add` would.
	if err := kr.Delete("supplier"); err != nil {
		t.Fatal(err)
	}
	if err := kr.ImportPrivKeyHex("supplier", k2, "secp256k1"); err != nil {
		t.Fatal(err)
	}
	r.waitChange(t)
	if got := m.Addresses(); len(got) != 1 || got[0] != a2 {
		t.Fatalf("addresses %v, want [%s] (not %s)", got, a2, a1)
	}
}

// TestGetDuringReloads reads keys while reloads replace the set; run it with -race.
func TestGetDuringReloads(t *testing.T) {
	priv1, k1 := genKey(t)
	_, k2 := genKey(t)
	a1 := wantAddress(t, priv1)
	dir := t.TempDir()
	writeFileAtomic(t, filepath.Join(dir, "one"), k1)
	m, _ := newTestManager(t, Options{Dir: dir})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				s, ok := m.Get(a1)
				if !ok {
					t.Error("key missing during reload")
					return
				}
				if _, err := s.Sign([]byte("x")); err != nil {
					t.Error(err)
					return
				}
				_ = m.Addresses()
			}
		}()
	}
	for i := range 20 {
		if i%2 == 0 {
			writeFileAtomic(t, filepath.Join(dir, "two"), k2)
		} else if err := os.Remove(filepath.Join(dir, "two")); err != nil {
			t.Fatal(err)
		}
		if err := m.Reload(); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
}

func TestSubscribe(t *testing.T) {
	_, k1 := genKey(t)
	_, k2 := genKey(t)
	dir := t.TempDir()
	writeFileAtomic(t, filepath.Join(dir, "one"), k1)
	m, _ := newTestManager(t, Options{Dir: dir})
	ch, cancel := m.Subscribe()
	other, cancelOther := m.Subscribe()
	defer cancelOther()

	// No change, no signal.
	if err := m.Reload(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
		t.Fatal("signal without a change")
	default:
	}
	// Two changes before the consumer reads coalesce into one signal; the reloader never blocks.
	writeFileAtomic(t, filepath.Join(dir, "two"), k2)
	if err := m.Reload(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "two")); err != nil {
		t.Fatal(err)
	}
	if err := m.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-ch; !ok {
		t.Fatal("channel closed")
	}
	select {
	case <-ch:
		t.Fatal("second signal, want coalesced")
	default:
	}
	cancel()
	cancel() // idempotent
	if _, ok := <-ch; ok {
		t.Fatal("channel open after cancel")
	}
	if _, ok := <-other; !ok {
		t.Fatal("other subscriber not signalled")
	}
}

func TestRunTwice(t *testing.T) {
	_, k1 := genKey(t)
	dir := t.TempDir()
	writeFileAtomic(t, filepath.Join(dir, "one"), k1)
	m, _ := newTestManager(t, Options{Dir: dir})
	startRun(t, m)
	if err := m.Run(context.Background()); err == nil {
		t.Fatal("second Run started")
	}
}

// TestLogsHoldNoKeys checks the log lines of a load, a good reload and a failed one.
func TestLogsHoldNoKeys(t *testing.T) {
	_, k1 := genKey(t)
	_, k2 := genKey(t)
	file := filepath.Join(t.TempDir(), "keys.yaml")
	writeFileAtomic(t, file, hexYAML(k1))
	var buf bytes.Buffer
	m, err := New(Options{HexFile: file}, zerolog.New(&buf), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	writeFileAtomic(t, file, hexYAML(k1, k2))
	if err := m.Reload(); err != nil {
		t.Fatal(err)
	}
	writeFileAtomic(t, file, hexYAML(k1, k2[:63]+"z", "["+k2+"]"))
	if err := m.Reload(); err == nil {
		t.Fatal("bad file reloaded")
	}
	writeFileAtomic(t, file, k2+": "+k1+"\n")
	if err := m.Reload(); err == nil {
		t.Fatal("bad file reloaded")
	}
	logs := buf.String()
	if strings.Count(logs, "\n") != 4 || !strings.Contains(logs, `"added":1`) {
		t.Fatalf("want four log lines (load, reload, two failures), got:\n%s", logs)
	}
	assertNoKeyMaterial(t, logs, k1, k2)
}
