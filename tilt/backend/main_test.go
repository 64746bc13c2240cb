package backend

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// start serves a new backend with cfg over HTTP/1.1 + h2c on a loopback port.
func start(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewUnstartedServer(s.Handler())
	EnableH2C(ts.Config)
	ts.Start()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		ts.Close()
	})
	return s, ts
}

// noKeepAlive returns a client whose connections close with the test, so goleak sees no
// lingering transport goroutines.
func client(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// newBenchServer serves s on a loopback port for a benchmark and returns its URL.
func newBenchServer(b *testing.B, s *Server) string {
	b.Helper()
	ts := httptest.NewUnstartedServer(s.Handler())
	EnableH2C(ts.Config)
	ts.Start()
	b.Cleanup(ts.Close)
	return ts.URL + "/"
}
