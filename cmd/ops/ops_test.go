package ops

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestReadinessNeedsEveryCondition(t *testing.T) {
	r := NewReadiness()
	if ok, _ := r.Status(); !ok {
		t.Fatal("no conditions: want ready")
	}
	keys := r.Register("keys")
	height := r.Register("block_height")
	if ok, failing := r.Status(); ok || len(failing) != 2 {
		t.Fatalf("ready=%v failing=%v, want two failing", ok, failing)
	}
	keys.Set(true, "")
	height.Set(false, "no block seen yet")
	_, failing := r.Status()
	if len(failing) != 1 || failing[0] != "block_height: no block seen yet" {
		t.Fatalf("failing = %v", failing)
	}
	height.Set(true, "")
	if ok, _ := r.Status(); !ok {
		t.Fatal("all conditions hold: want ready")
	}
	if r.Register("keys") != keys {
		t.Fatal("re-registering must return the same condition")
	}
	r.SetStopping()
	if ok, failing := r.Status(); ok || failing[0] != "stopping" {
		t.Fatalf("stopping: ready=%v failing=%v", ok, failing)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			return resp.StatusCode, string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		<-time.After(20 * time.Millisecond)
	}
}

func TestServerEndpoints(t *testing.T) {
	addr, pprofAddr := freeAddr(t), freeAddr(t)
	ready := NewReadiness()
	cond := ready.Register("backend")
	reg := NewRegistry("v9.9.9", "c0ffee")
	s := NewServer(Config{MetricsEnabled: true, MetricsAddr: addr, HealthAddr: addr, PprofEnabled: true, PprofAddr: pprofAddr}, reg, ready, zerolog.Nop())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	if code, _ := get(t, "http://"+addr+"/health"); code != 200 {
		t.Fatalf("/health = %d", code)
	}
	code, body := get(t, "http://"+addr+"/ready")
	var r struct {
		Ready   bool
		Failing []string
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil || code != 503 || r.Ready || len(r.Failing) != 1 {
		t.Fatalf("/ready = %d %s", code, body)
	}
	cond.Set(true, "")
	if code, _ := get(t, "http://"+addr+"/ready"); code != 200 {
		t.Fatalf("/ready after condition = %d", code)
	}
	if code, body := get(t, "http://"+addr+"/metrics"); code != 200 || !strings.Contains(body, `relayminer_build_info{commit="c0ffee",version="v9.9.9"} 1`) {
		t.Fatalf("/metrics = %d\n%s", code, body)
	}
	if code, _ := get(t, "http://"+pprofAddr+"/debug/pprof/"); code != 200 {
		t.Fatalf("pprof = %d", code)
	}
	if code, _ := get(t, "http://"+addr+"/debug/pprof/"); code != 404 {
		t.Fatalf("pprof must not be on the ops port: %d", code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestServerFailsWhenPortTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s := NewServer(Config{HealthAddr: l.Addr().String()}, NewRegistry("v", "c"), NewReadiness(), zerolog.Nop())
	if err := s.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "ops listen") {
		t.Fatalf("err = %v, want a listen error", err)
	}
}

func TestNewLogger(t *testing.T) {
	var buf bytes.Buffer
	log, err := NewLogger(&buf, "warn", "json")
	if err != nil {
		t.Fatal(err)
	}
	log.Info().Msg("hidden")
	log.Warn().Str("k", "v").Msg("shown")
	if strings.Contains(buf.String(), "hidden") || !strings.Contains(buf.String(), `"k":"v"`) {
		t.Fatalf("log output: %s", buf.String())
	}
	if _, err := NewLogger(&buf, "loud", "json"); err == nil {
		t.Fatal("bad level accepted")
	}
	if _, err := NewLogger(&buf, "info", "xml"); err == nil {
		t.Fatal("bad format accepted")
	}
}
