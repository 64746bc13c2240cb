package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
)

// Config says where the ops endpoints listen. MetricsAddr and HealthAddr may be equal, in which
// case one server serves /metrics, /health and /ready.
type Config struct {
	MetricsEnabled bool
	MetricsAddr    string
	HealthAddr     string
	PprofEnabled   bool
	PprofAddr      string
}

// NewRegistry returns a Prometheus registry with the Go runtime and process collectors and a
// build-info gauge, so every command exports the same basics.
func NewRegistry(version, commit string) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace:   "relayminer",
		Name:        "build_info",
		Help:        "Always 1; labels carry the version and commit of the running binary.",
		ConstLabels: prometheus.Labels{"version": version, "commit": commit},
	})
	info.Set(1)
	reg.MustRegister(info)
	return reg
}

// Server runs the ops HTTP listeners.
type Server struct {
	servers []*http.Server
	log     zerolog.Logger
}

// NewServer builds the ops servers. It listens on nothing until Run.
func NewServer(cfg Config, reg *prometheus.Registry, ready *Readiness, log zerolog.Logger) *Server {
	byAddr := map[string]*http.ServeMux{}
	mux := func(addr string) *http.ServeMux {
		if m, ok := byAddr[addr]; ok {
			return m
		}
		m := http.NewServeMux()
		byAddr[addr] = m
		return m
	}
	h := mux(cfg.HealthAddr)
	h.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	h.Handle("GET /ready", readyHandler(ready))
	if cfg.MetricsEnabled {
		mux(cfg.MetricsAddr).Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	}
	if cfg.PprofEnabled {
		p := mux(cfg.PprofAddr)
		p.HandleFunc("/debug/pprof/", pprof.Index)
		p.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		p.HandleFunc("/debug/pprof/profile", pprof.Profile)
		p.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		p.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	s := &Server{log: log}
	for addr, m := range byAddr {
		s.servers = append(s.servers, &http.Server{
			Addr:              addr,
			Handler:           m,
			ReadHeaderTimeout: 5 * time.Second,
		})
	}
	return s
}

func readyHandler(r *Readiness) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		ready, failing := r.Status()
		w.Header().Set("Content-Type", "application/json")
		if !ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		if failing == nil {
			failing = []string{}
		}
		_ = json.NewEncoder(w).Encode(struct {
			Ready   bool     `json:"ready"`
			Failing []string `json:"failing"`
		}{ready, failing})
	})
}

// Run listens on every ops address until ctx is done, then shuts the servers down. A listen
// error (port taken) is returned at once so the command fails at startup, not silently.
func (s *Server) Run(ctx context.Context) error {
	listeners := make([]net.Listener, 0, len(s.servers))
	for _, srv := range s.servers {
		l, err := net.Listen("tcp", srv.Addr)
		if err != nil {
			for _, o := range listeners {
				_ = o.Close()
			}
			return fmt.Errorf("ops listen %s: %w", srv.Addr, err)
		}
		listeners = append(listeners, l)
	}
	errc := make(chan error, len(s.servers))
	for i, srv := range s.servers {
		s.log.Info().Str("addr", listeners[i].Addr().String()).Msg("ops endpoints listening")
		go func() { errc <- srv.Serve(listeners[i]) }()
	}
	var runErr error
	select {
	case <-ctx.Done():
	case err := <-errc:
		runErr = fmt.Errorf("ops server: %w", err)
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for _, srv := range s.servers {
		_ = srv.Shutdown(shutdownCtx)
	}
	// Drain the Serve goroutines so none outlives Run.
	for range len(s.servers) - boolToInt(runErr != nil) {
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) && runErr == nil {
			runErr = fmt.Errorf("ops server: %w", err)
		}
	}
	return runErr
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
