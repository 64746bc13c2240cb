package backend

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/grpc"
)

// Server is the test backend. Build it with New; serve Handler; Close it when done.
type Server struct {
	defaults knobs
	mux      *http.ServeMux
	grpc     *grpc.Server
	upgrader websocket.Upgrader
	height   heightCounter
	ctx      context.Context // canceled by Close; ends WebSocket pushes
	cancel   context.CancelFunc

	mu     sync.Mutex
	conns  map[*websocket.Conn]struct{}
	closed bool
	wg     sync.WaitGroup // WebSocket handlers still running
}

// New validates cfg and builds a Server. It starts nothing.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		defaults: cfg.knobs(),
		mux:      http.NewServeMux(),
		conns:    make(map[*websocket.Conn]struct{}),
		upgrader: websocket.Upgrader{
			ReadBufferSize:  4096,
			WriteBufferSize: 4096,
			CheckOrigin:     func(*http.Request) bool { return true },
		},
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.grpc = newGRPCServer(s)
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	s.mux.HandleFunc("POST /", s.serveJSONRPC) // every POST path without a more specific route
	s.mux.HandleFunc("GET /health", s.serveHealth)
	s.mux.HandleFunc("GET /v1/status", s.serveStatus)
	s.mux.HandleFunc("GET /v1/blocks/{height}", s.serveBlock)
	s.mux.HandleFunc("GET /bytes/{n}", s.serveBytes)
	s.mux.HandleFunc("POST /v1/echo", s.serveEcho)
	s.mux.HandleFunc("PUT /v1/echo", s.serveEcho)
	s.mux.HandleFunc("GET /ws", s.serveWebSocket)
	s.mux.HandleFunc("GET /stream/sse", s.serveSSE)
	s.mux.HandleFunc("GET /stream/ndjson", s.serveNDJSON)
}

// Handler serves every HTTP transport and, for requests over HTTP/2 with an application/grpc
// content type, the gRPC service. Serve it with NewHTTPServer (or any server that enables
// unencrypted HTTP/2) to reach gRPC on the same port.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 && isGRPC(r) {
			s.grpc.ServeHTTP(w, r)
			return
		}
		s.mux.ServeHTTP(w, r)
	})
}

func isGRPC(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	return len(ct) >= len("application/grpc") && ct[:len("application/grpc")] == "application/grpc"
}

// GRPCServer returns the gRPC server, for callers that want it on a listener of its own.
func (s *Server) GRPCServer() *grpc.Server { return s.grpc }

// EnableH2C turns on HTTP/1.1 and unencrypted HTTP/2 (prior knowledge) on srv, so one port
// serves both plain HTTP clients and gRPC.
func EnableH2C(srv *http.Server) {
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	srv.Protocols = &p
}

// NewHTTPServer returns an http.Server for s bound to nothing yet, with h2c enabled and
// conservative header timeouts.
func NewHTTPServer(s *Server) *http.Server {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
	}
	EnableH2C(srv)
	return srv
}

// Close stops the gRPC server, closes every open WebSocket connection and waits until their
// handlers have returned. It is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	s.cancel()
	conns := make([]*websocket.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	var errs []error
	for _, c := range conns {
		if err := c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	s.grpc.Stop()
	s.wg.Wait()
	return errors.Join(errs...)
}

// track registers a hijacked WebSocket connection; it reports false once Close has begun.
func (s *Server) track(c *websocket.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *Server) untrack(c *websocket.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.wg.Done()
}

// wait blocks for d or until ctx ends; it reports whether the full delay elapsed.
func wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// bufPool holds request-body buffers; buffers that grew past 1 MiB are dropped, not pooled.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readBody reads r's body (chunked or not) into a pooled buffer; the caller returns it with
// putBuf when done with the bytes.
func readBody(w http.ResponseWriter, r *http.Request) (*bytes.Buffer, error) {
	b := bufPool.Get().(*bytes.Buffer)
	b.Reset()
	_, err := b.ReadFrom(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil && !errors.Is(err, io.EOF) {
		putBuf(b)
		return nil, err
	}
	return b, nil
}

func putBuf(b *bytes.Buffer) {
	if b.Cap() > 1<<20 {
		return
	}
	bufPool.Put(b)
}
