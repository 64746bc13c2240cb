package backend

import (
	"net/http"
	"strconv"
)

// serveSSE answers GET /stream/sse with count server-sent events, interval apart, each flushed
// as it is written: `id: i`, `data: {"n":i}` (or size bytes of padding).
func (s *Server) serveSSE(w http.ResponseWriter, r *http.Request) {
	s.stream(w, r, contentSSE, func(b []byte, i int, k knobs) []byte {
		b = append(b, "id: "...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, "\ndata: "...)
		b = appendEvent(b, i, k)
		return append(b, "\n\n"...)
	})
}

// serveNDJSON answers GET /stream/ndjson with count JSON lines, interval apart, each flushed.
func (s *Server) serveNDJSON(w http.ResponseWriter, r *http.Request) {
	s.stream(w, r, contentNDJSON, func(b []byte, i int, k knobs) []byte {
		return append(appendEvent(b, i, k), '\n')
	})
}

func appendEvent(b []byte, i int, k knobs) []byte {
	b = append(b, `{"n":`...)
	b = strconv.AppendInt(b, int64(i), 10)
	if k.size > 0 {
		b = append(b, `,"data":"`...)
		b = append(b, padding[:k.size]...)
		b = append(b, '"')
	}
	return append(b, '}')
}

// stream writes count events produced by event, flushing after each. It stops early when the
// client goes away.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, ctype []string, event func([]byte, int, knobs) []byte) {
	k, ok := s.prelude(w, r)
	if !ok {
		return
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h["Content-Type"] = ctype
	h["Cache-Control"] = noCache
	w.WriteHeader(k.status)
	if err := rc.Flush(); err != nil {
		return
	}
	var b []byte
	for i := 1; i <= k.count; i++ {
		if i > 1 && !wait(r.Context(), k.interval) {
			return
		}
		b = event(b[:0], i, k)
		if _, err := w.Write(b); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}
