package relayer

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sdktypes "github.com/pokt-network/shannon-sdk/types"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/relayer/backend"
)

// streamLimits are the limits of one streamed relay (transports.streaming,
// config.StreamingLimits), resolved once in New.
type streamLimits struct {
	// interval is the longest a partial event (bytes after the last complete event) waits for
	// its end before it is framed anyway. Complete events never wait: they are framed as soon
	// as no more backend bytes are queued.
	interval time.Duration
	// batchBytes bounds the backend bytes of one frame.
	batchBytes int
	// batchEvents bounds the events (SSE events, NDJSON lines) of one frame.
	batchEvents int
	// maxBytes bounds a whole stream: it is kept to form the mined relay. A longer stream is
	// cut there (its last frame ends at the limit) and mined as cut. One relay's stream is
	// also bounded by its backend's max_response_bytes (serveStream takes the smaller).
	maxBytes int
}

func newStreamLimits(c config.StreamingLimits) streamLimits {
	return streamLimits{
		interval: c.BatchInterval, batchBytes: int(c.BatchBytes),
		batchEvents: c.BatchEvents, maxBytes: int(c.MaxBytes),
	}
}

const (
	// StreamTrailer is the HTTP trailer of a streamed answer that carries the mined relay's
	// response, base64 (std) of the marshaled RelayResponse without payload (see stream.go).
	StreamTrailer = "Pocket-Relay-Response"

	streamReadSize = 32 << 10 // one backend read
	streamQueue    = 4        // backend reads queued ahead of the frame writer
)

// StreamBackend is a Backend that can also hand back the backend's answer as it arrives (its
// body read incrementally, its trailers after the body). gRPC relays and relays that may
// stream use it. poolBackend implements it over backend.Pool.DoStream.
type StreamBackend interface {
	Stream(ctx context.Context, req *sdktypes.POKTHTTPRequest, rc *RelayContext) (*http.Response, error)
}

// Stream sends req through the pool and returns the response with its body unread; the
// caller closes it.
func (b poolBackend) Stream(ctx context.Context, req *sdktypes.POKTHTTPRequest, rc *RelayContext) (*http.Response, error) {
	res, err := b.p.DoStream(ctx, req, backend.Headers{
		Supplier: rc.Supplier, Service: rc.Service, Application: rc.Application, SessionID: rc.SessionID,
		SessionStartHeight: rc.SessionStartHeight, SessionEndHeight: rc.SessionEndHeight,
	})
	if err != nil && backend.ReasonOf(err) == backend.ReasonTimeout {
		return nil, backendTimeout{err}
	}
	return res, err
}

// serveTransport serves the relay when it is a gRPC relay (Rpc-Type 1) or may be answered
// with a stream, and reports whether it did (the relay is then answered, or rejected, and
// handed off). Otherwise the synchronous path serves it.
//
// A relay may stream when its payload asks for a streaming media type (Accept:
// text/event-stream or application/x-ndjson) or carries `"stream":true` (the OpenAI-style LLM
// request). Its backend is then called with DoStream and the answer's Content-Type decides:
// a streaming type is framed as it arrives (serveStream), anything else is read in full and
// answered like a synchronous relay.
func (s *Server) serveTransport(w http.ResponseWriter, r *http.Request, svc *service, signer Signer, b Backend, req *servicetypes.RelayRequest, job *postJob) bool {
	sb, ok := b.(StreamBackend)
	if !ok {
		return false
	}
	rt := svc.routedType(r.Header)
	grpc := rt == config.RPCGRPC // Rpc-Type 1 with a grpc backend (or grpc as the default)
	if !grpc && !mayStream(req.Payload) {
		return false
	}
	start := time.Now()
	hr, err := parseHTTPPayload(req.Payload)
	if err != nil {
		s.refundLater(job)
		s.replyError(w, svc, req.Meta.SessionHeader, err)
		return true
	}
	if grpc {
		s.serveGRPC(w, r, svc, signer, sb, req, hr, job)
		return true
	}
	res, err := sb.Stream(r.Context(), hr, relayContextOf(req))
	if err != nil {
		s.refundLater(job)
		s.replyError(w, svc, req.Meta.SessionHeader, backendReject(err))
		return true
	}
	defer res.Body.Close()
	sse, streaming := streamKind(res.Header.Get("Content-Type"))
	if !streaming {
		s.answerWhole(w, svc, rt, signer, req, res, job)
		return true
	}
	s.serveStream(w, svc, signer, req, res, sse, svc.maxResponse(rt), job, start)
	return true
}

// answerWhole answers a backend response that is not a stream like a synchronous relay: its
// body is read in full, bounded by the max_response_bytes of the backend of rpc type rt, and a
// larger one is refused as the synchronous path refuses it (backend_response_too_large,
// rejected as backend_error), never forwarded.
func (s *Server) answerWhole(w http.ResponseWriter, svc *service, rt config.RPCType, signer Signer, req *servicetypes.RelayRequest, res *http.Response, job *postJob) {
	limit := svc.maxResponse(rt)
	var body []byte
	err := errTooLarge
	if res.ContentLength <= limit {
		body, err = readCapped(res.Body, limit)
	}
	if err != nil {
		if errors.Is(err, errTooLarge) {
			err = &backend.Error{Reason: backend.ReasonTooLarge, Service: svc.id, RPCType: string(rt),
				Err: fmt.Errorf("body over the %d byte limit", limit)}
		}
		s.refundLater(job)
		s.replyError(w, svc, req.Meta.SessionHeader, backendReject(err))
		return
	}
	br := backend.Response{StatusCode: res.StatusCode, Header: res.Header, Body: body}
	s.answer(w, svc, signer, req, br.AppendPOKT(make([]byte, 0, br.POKTSize())), uint32(res.StatusCode), job)
}

// answer signs payload as the relay's one response, writes it and hands the relay off.
func (s *Server) answer(w http.ResponseWriter, svc *service, signer Signer, req *servicetypes.RelayRequest, payload []byte, status uint32, job *postJob) {
	h := req.Meta.SessionHeader
	resp, err := signResponse(signer, h, payload)
	if err != nil {
		s.refundLater(job)
		s.replyError(w, svc, h, err)
		return
	}
	job.resp, job.status, job.height = resp, status, s.heights.Height()
	if err := writeResponse(w, resp); err != nil {
		s.log.Debug().Err(err).Msg("write relay response")
	}
	svc.served.Inc()
	s.handOff(job)
}

var (
	acceptSSE    = []byte("text/event-stream")
	acceptNDJSON = []byte("application/x-ndjson")
	streamTrue   = []byte(`"stream":true`)
	streamTrueSp = []byte(`"stream": true`)
)

// mayStream is a cheap scan of the serialized POKTHTTPRequest for a streaming request.
func mayStream(payload []byte) bool {
	return bytes.Contains(payload, acceptSSE) || bytes.Contains(payload, acceptNDJSON) ||
		bytes.Contains(payload, streamTrue) || bytes.Contains(payload, streamTrueSp)
}

// streamKind reports whether contentType is streamed and whether it is SSE (else NDJSON).
func streamKind(contentType string) (sse, streaming bool) {
	ct := strings.ToLower(contentType)
	switch {
	case strings.Contains(ct, "text/event-stream"):
		return true, true
	case strings.Contains(ct, "application/x-ndjson"):
		return false, true
	}
	return false, false
}

func relayContextOf(req *servicetypes.RelayRequest) *RelayContext {
	h := req.Meta.SessionHeader
	return &RelayContext{
		Supplier: req.Meta.SupplierOperatorAddress, Service: h.ServiceId, Application: h.ApplicationAddress,
		SessionID: h.SessionId, SessionStartHeight: h.SessionStartBlockHeight, SessionEndHeight: h.SessionEndBlockHeight,
	}
}

// backendReject classifies a backend failure as callBackend does.
func backendReject(err error) error {
	var te interface{ Timeout() bool }
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &te) && te.Timeout()) {
		return reject(reasonBackendTimeout, "%w", err)
	}
	return reject(reasonBackendError, "%w", err)
}

var errTooLarge = errors.New("backend response over the size limit")

// readCapped reads r to EOF, failing past max bytes.
func readCapped(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, errTooLarge
	}
	return b, nil
}

// appendStreamPayload appends POKTHTTPResponse{status_code, body_bz} (no header map; the field
// order of a deterministic marshal) to dst.
func appendStreamPayload(dst []byte, status uint32, body []byte) []byte {
	if status != 0 {
		dst = protowire.AppendTag(dst, 1, protowire.VarintType)
		dst = protowire.AppendVarint(dst, uint64(status))
	}
	if len(body) > 0 {
		dst = protowire.AppendTag(dst, 3, protowire.BytesType)
		dst = protowire.AppendBytes(dst, body)
	}
	return dst
}

var streamBufPool = sync.Pool{New: func() any { b := make([]byte, streamReadSize); return &b }}

// encodeTrailer is the StreamTrailer value for resp: its marshaling without payload.
func encodeTrailer(resp *servicetypes.RelayResponse) string {
	c := *resp
	c.Payload = nil
	bz, err := c.Marshal()
	if err != nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(bz)
}
