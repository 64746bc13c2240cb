package backend

import (
	"net/http"
	"strconv"
)

// serveHealth answers GET /health. It ignores every knob: a health probe must not be delayed
// or failed by a benchmark's settings.
func (s *Server) serveHealth(w http.ResponseWriter, _ *http.Request) {
	writeBody(w, http.StatusOK, contentJSON, healthBody)
}

// serveStatus answers GET /v1/status with the fake chain height.
func (s *Server) serveStatus(w http.ResponseWriter, r *http.Request) {
	k, ok := s.prelude(w, r)
	if !ok {
		return
	}
	if k.size > 0 {
		writeBody(w, k.status, contentOctets, padding[:k.size])
		return
	}
	b := append(make([]byte, 0, 64), `{"height":`...)
	b = strconv.AppendUint(b, s.height.next(), 10)
	b = append(b, `,"syncing":false}`+"\n"...)
	writeBody(w, k.status, contentJSON, b)
}

// serveBlock answers GET /v1/blocks/{height} with a small block document.
func (s *Server) serveBlock(w http.ResponseWriter, r *http.Request) {
	h, err := strconv.ParseUint(r.PathValue("height"), 10, 64)
	if err != nil {
		writeBody(w, http.StatusNotFound, contentJSON, []byte(`{"error":"height must be a non-negative integer"}`+"\n"))
		return
	}
	k, ok := s.prelude(w, r)
	if !ok {
		return
	}
	if k.size > 0 {
		writeBody(w, k.status, contentOctets, padding[:k.size])
		return
	}
	b := append(make([]byte, 0, 96), `{"height":`...)
	b = strconv.AppendUint(b, h, 10)
	b = append(b, `,"hash":"0x`...)
	b = strconv.AppendUint(b, h*2654435761, 16)
	b = append(b, `","txs":[]}`+"\n"...)
	writeBody(w, k.status, contentJSON, b)
}

// serveBytes answers GET /bytes/{n} with n bytes of padding.
func (s *Server) serveBytes(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 0 || n > MaxSize {
		writeBody(w, http.StatusBadRequest, contentText, []byte("backend: n must be 0.."+strconv.Itoa(MaxSize)+"\n"))
		return
	}
	k, ok := s.prelude(w, r)
	if !ok {
		return
	}
	writeBody(w, k.status, contentOctets, padding[:n])
}

// serveEcho answers POST|PUT /v1/echo with the request body and its content type.
func (s *Server) serveEcho(w http.ResponseWriter, r *http.Request) {
	k, ok := s.prelude(w, r)
	if !ok {
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		writeBadRequest(w, err)
		return
	}
	defer putBuf(body)
	ct := r.Header["Content-Type"]
	if len(ct) == 0 {
		ct = contentOctets
	}
	writeBody(w, k.status, ct, body.Bytes())
}
