package backend

import (
	"net/http"
	"strconv"
	"sync/atomic"
)

// padding is built once; every sized payload is a prefix of it, so answering with N bytes
// copies N bytes and allocates nothing.
var padding = func() []byte {
	b := make([]byte, MaxSize)
	for i := range b {
		b[i] = 'x'
	}
	return b
}()

// heightCounter is the fake chain height eth_blockNumber and /v1/status report; it grows by one
// per call so clients see fresh answers.
type heightCounter struct{ n atomic.Uint64 }

func (h *heightCounter) next() uint64 { return 0x100000 + h.n.Add(1) }

// Pre-built bodies and header values.
var (
	healthBody      = []byte(`{"status":"ok"}` + "\n")
	contentJSON     = []string{"application/json"}
	contentText     = []string{"text/plain; charset=utf-8"}
	contentOctets   = []string{"application/octet-stream"}
	contentSSE      = []string{"text/event-stream"}
	contentNDJSON   = []string{"application/x-ndjson"}
	noCache         = []string{"no-cache"}
	errorBodyPrefix = []byte(`{"error":"backend: injected failure","status":`)
)

// writeBody writes a complete answer with an explicit Content-Length.
func writeBody(w http.ResponseWriter, status int, ctype []string, body []byte) {
	h := w.Header()
	h["Content-Type"] = ctype
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeInjectedError answers a request that the error_rate knob chose to fail.
func writeInjectedError(w http.ResponseWriter, status int) {
	b := make([]byte, 0, len(errorBodyPrefix)+8)
	b = append(b, errorBodyPrefix...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, "}\n"...)
	writeBody(w, status, contentJSON, b)
}

// writeBadRequest answers a request whose knobs or body cannot be used.
func writeBadRequest(w http.ResponseWriter, err error) {
	writeBody(w, http.StatusBadRequest, contentText, []byte("backend: "+err.Error()+"\n"))
}

// prelude applies the common knobs: it parses them, waits the delay and draws an injected
// failure. It reports false when the request has been answered (or the client left).
func (s *Server) prelude(w http.ResponseWriter, r *http.Request) (knobs, bool) {
	k, err := s.requestKnobs(r)
	if err != nil {
		writeBadRequest(w, err)
		return k, false
	}
	if !wait(r.Context(), k.delay) {
		return k, false
	}
	if k.fail() {
		writeInjectedError(w, k.errorStatus)
		return k, false
	}
	return k, true
}
