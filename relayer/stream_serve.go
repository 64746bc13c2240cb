package relayer

import (
	"io"
	"net/http"
	"time"

	servicetypes "github.com/pokt-network/poktroll/x/service/types"
)

// streamer frames one backend stream. Only the request goroutine touches it; the backend body
// is read by one reader goroutine that it starts and waits for.
type streamer struct {
	s      *Server
	w      http.ResponseWriter
	rc     *http.ResponseController
	signer Signer
	req    *servicetypes.RelayRequest
	status uint32
	sse    bool
	m      *streamServiceMetrics
	start  time.Time

	lim    streamLimits
	all    []byte // every backend byte so far (≤ lim.maxBytes): the mined relay's body
	framed int    // all[:framed] has been framed and written
	frames int
	failed bool // the client went away or a frame could not be signed: stop writing
}

// serveStream answers a streaming backend response: HTTP 200 with the backend's Content-Type,
// then one signed frame per batch, flushed as written, and the mined relay's response in the
// StreamTrailer trailer. The whole exchange is handed off as ONE relay whose response payload
// is POKTHTTPResponse{status_code, body_bz: the whole stream} (no header map), signed once
// more at the end: anyone holding the concatenated frame bodies can recompute its
// payload_hash and verify the supplier's signature.
//
// The stream is bounded by transports.streaming.max_bytes and by maxResp, the backend's
// max_response_bytes, whichever is smaller: its first frames are out before its size is
// known, so a longer stream is cut there and mined as cut rather than refused.
func (s *Server) serveStream(w http.ResponseWriter, svc *service, signer Signer, req *servicetypes.RelayRequest, res *http.Response, sse bool, maxResp int64, job *postJob, start time.Time) {
	st := &streamer{
		s: s, w: w, rc: http.NewResponseController(w), signer: signer, req: req,
		status: uint32(res.StatusCode), sse: sse, m: s.streams.bySvc[svc.id], start: start, lim: s.streamLim,
	}
	if maxResp < int64(st.lim.maxBytes) {
		st.lim.maxBytes = int(maxResp)
	}
	hd := w.Header()
	hd["Content-Type"] = []string{res.Header.Get("Content-Type")}
	hd["Cache-Control"] = []string{"no-cache"}
	hd["Trailer"] = []string{StreamTrailer}
	w.WriteHeader(http.StatusOK)
	_ = st.rc.Flush()

	st.pump(res.Body)

	resp, err := signResponse(signer, req.Meta.SessionHeader, appendStreamPayload(nil, st.status, st.all))
	if err != nil { // nothing more can be answered: the frames are out; not mined
		s.log.Debug().Err(err).Msg("sign streamed relay")
		s.refundLater(job)
		return
	}
	hd.Set(StreamTrailer, encodeTrailer(resp))
	job.resp, job.status, job.height = resp, st.status, s.heights.Height()
	svc.served.Inc()
	st.m.relays.Inc()
	s.handOff(job)
}

// pump reads body on a reader goroutine and frames what arrives until EOF, an error, the
// stream limit or a failed write. It returns after the reader goroutine has returned.
func (st *streamer) pump(body io.ReadCloser) {
	chunks := make(chan *[]byte, streamQueue)
	quit := make(chan struct{})
	go readStream(body, chunks, quit)
	defer func() {
		close(quit)
		_ = body.Close() // unblocks a pending Read
		for bp := range chunks {
			streamBufPool.Put(bp)
		}
	}()
	timer := time.NewTimer(st.lim.interval)
	timer.Stop()
	defer timer.Stop()
	armed := false
	for !st.failed {
		select {
		case bp, ok := <-chunks:
			if !ok {
				st.flush(len(st.all) - st.framed)
				return
			}
			full := st.add(*bp)
			streamBufPool.Put(bp)
			st.batch(len(chunks) == 0 || full)
			if full {
				st.flush(len(st.all) - st.framed)
				return
			}
		case <-timer.C:
			armed = false
			st.flush(len(st.all) - st.framed)
		}
		switch pending := len(st.all) > st.framed; {
		case pending && !armed:
			timer.Reset(st.lim.interval)
			armed = true
		case !pending && armed:
			timer.Stop()
			armed = false
		}
	}
}

// readStream sends each read of body on chunks (closed at EOF or error) until quit closes.
func readStream(body io.Reader, chunks chan<- *[]byte, quit <-chan struct{}) {
	defer close(chunks)
	for {
		bp := streamBufPool.Get().(*[]byte)
		b := (*bp)[:cap(*bp)]
		n, err := body.Read(b)
		if n > 0 {
			*bp = b[:n]
			select {
			case chunks <- bp:
			case <-quit:
				streamBufPool.Put(bp)
				return
			}
		} else {
			streamBufPool.Put(bp)
		}
		if err != nil {
			return
		}
	}
}

// add appends b to the stream and reports whether lim.maxBytes was reached (b is cut there).
func (st *streamer) add(b []byte) bool {
	room := st.lim.maxBytes - len(st.all)
	if len(b) >= room {
		st.all = append(st.all, b[:room]...)
		return true
	}
	st.all = append(st.all, b...)
	return false
}

// batch frames what the bounds call for: everything pending past lim.batchBytes; the
// complete events once lim.batchEvents of them wait, or when idle (no more bytes queued).
func (st *streamer) batch(idle bool) {
	for !st.failed {
		pending := st.all[st.framed:]
		if len(pending) >= st.lim.batchBytes {
			n, _ := eventEnd(pending[:st.lim.batchBytes], st.sse)
			if n == 0 {
				n = st.lim.batchBytes
			}
			st.flush(n)
			continue
		}
		n, events := eventEnd(pending, st.sse)
		if n > 0 && (idle || events >= st.lim.batchEvents) {
			if events > st.lim.batchEvents {
				n = nthEventEnd(pending, st.sse, st.lim.batchEvents)
				st.flush(n)
				continue
			}
			st.flush(n)
		}
		return
	}
}

// flush frames and writes the next n pending bytes (cut wherever the delimiter would occur).
func (st *streamer) flush(n int) {
	if n <= 0 || st.failed {
		return
	}
	chunk := st.all[st.framed : st.framed+n]
	prev := 0
	for _, c := range append(streamCuts(chunk), len(chunk)) {
		if !st.writeFrame(chunk[prev:c]) {
			st.failed = true
			return
		}
		prev = c
	}
	st.framed += n
	st.m.bytes.Add(float64(n))
	if err := st.rc.Flush(); err != nil {
		st.failed = true
	}
}

// writeFrame signs piece as one RelayResponse and writes it with the delimiter.
func (st *streamer) writeFrame(piece []byte) bool {
	bp := getBuf()
	defer putBuf(bp)
	*bp = appendStreamPayload((*bp)[:0], st.status, piece)
	resp, err := signResponse(st.signer, st.req.Meta.SessionHeader, *bp)
	if err != nil {
		st.s.log.Debug().Err(err).Msg("sign stream frame")
		return false
	}
	out := getBuf()
	defer putBuf(out)
	size := resp.Size()
	b := append((*out)[:0], make([]byte, size)...)
	if _, err := resp.MarshalToSizedBuffer(b[:size]); err != nil {
		return false
	}
	b = append(b, streamDelim...)
	*out = b
	if _, err := st.w.Write(b); err != nil {
		return false
	}
	if st.frames == 0 {
		st.m.firstChunk.Observe(time.Since(st.start).Seconds())
	}
	st.frames++
	st.m.chunks.Inc()
	return true
}
