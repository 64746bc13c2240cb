package relayer

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"

	"github.com/shannon-ops/pocket-relay-miner/relayer/meter"
)

// ServeHTTP serves one synchronous relay: parse → validate (eager) → backend → sign → write →
// hand off. Every failure is answered by replyError; the signed answer is written and flushed
// before any post-response work is queued.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isWebSocketRelay(r) { // Rpc-Type 2: websocket*.go
		s.serveWebSocket(w, r)
		return
	}
	start := time.Now()
	req, svc, signer, backend, err := s.admit(r)
	if err != nil {
		s.replyError(w, svc, headerOf(req), err)
		return
	}
	h := req.Meta.SessionHeader
	t0 := observe(svc, stageParse, start)

	job := &postJob{s: s, svc: svc, req: req}
	if svc.eager {
		if job.entry, job.metered, err = s.eagerChecks(r.Context(), req); err != nil {
			s.replyError(w, svc, h, err)
			return
		}
		t0 = observe(svc, stageValidate, t0)
	}
	if s.serveTransport(w, r, svc, signer, backend, req, job) { // gRPC and streaming (stream.go)
		return
	}
	payload, status, err := s.callBackend(r.Context(), req, backend)
	t0 = observe(svc, stageBackend, t0)
	if err != nil {
		s.refundLater(job)
		s.replyError(w, svc, h, err)
		return
	}
	resp, err := signResponse(signer, h, payload)
	t0 = observe(svc, stageSign, t0)
	if err != nil {
		s.refundLater(job)
		s.replyError(w, svc, h, err)
		return
	}
	job.resp, job.status, job.height = resp, status, s.heights.Height()
	if err := writeResponse(w, resp); err != nil {
		// The client went away mid-write; it may still have the answer, so mine as usual.
		s.log.Debug().Err(err).Msg("write relay response")
	}
	observe(svc, stageWrite, t0)
	svc.served.Inc()
	s.handOff(job)
}

// admit reads and decodes the request and resolves its service, backend and signer. The
// service is s.unknown until the request names a configured one.
func (s *Server) admit(r *http.Request) (*servicetypes.RelayRequest, *service, Signer, Backend, error) {
	svc := s.unknown
	bp, err := readBody(r, s.hardMax)
	if err != nil {
		svc.received.Inc()
		return nil, svc, nil, nil, err
	}
	size := int64(len(*bp))
	req, err := parseRelayRequest(*bp)
	putBuf(bp)
	if req != nil {
		if known, ok := s.services[req.Meta.SessionHeader.GetServiceId()]; ok {
			svc = known
		}
	}
	svc.received.Inc()
	if err != nil {
		return req, svc, nil, nil, err
	}
	if svc == s.unknown {
		return req, svc, nil, nil, reject(reasonUnknownService, "service %q is not served here", req.Meta.SessionHeader.ServiceId)
	}
	if size > svc.maxBody {
		return req, svc, nil, nil, reject(reasonBodyTooLarge, "body of %d bytes over the %d byte limit of service %s", size, svc.maxBody, svc.id)
	}
	backend, err := svc.route(r.Header)
	if err != nil {
		return req, svc, nil, nil, err
	}
	signer, ok := s.keys.Signer(req.Meta.SupplierOperatorAddress)
	if !ok {
		return req, svc, nil, nil, reject(reasonUnknownSupplier, "no key for supplier %s", req.Meta.SupplierOperatorAddress)
	}
	return req, svc, signer, backend, nil
}

// eagerChecks validates req and charges the relay meter before the backend is called.
func (s *Server) eagerChecks(ctx context.Context, req *servicetypes.RelayRequest) (*sessionEntry, bool, error) {
	e, err := s.v.validate(ctx, req)
	if err != nil {
		return nil, false, err
	}
	metered, err := s.consume(ctx, req)
	return e, metered, err
}

// consume charges one relay to the meter and reports whether something was consumed (so must
// be refunded if the relay is not mined). The meter applies fail_mode when Redis fails.
func (s *Server) consume(ctx context.Context, req *servicetypes.RelayRequest) (bool, error) {
	d, err := s.meter.Consume(ctx, req.Meta.SupplierOperatorAddress, req.Meta.SessionHeader)
	switch d.Outcome {
	case meter.OutcomeOverServiced:
		return false, reject(reasonOverServiced, "application %s has no stake left for this session", req.Meta.SessionHeader.ApplicationAddress)
	case meter.OutcomeFailClosed:
		return false, reject(reasonMeterUnavailable, "relay meter: %w", err)
	}
	if err != nil {
		s.log.Debug().Err(err).Msg("relay meter failed open")
	}
	return d.Refundable(), nil
}

// callBackend forwards the relay's HTTP request and returns the serialized POKTHTTPResponse
// and its status code.
func (s *Server) callBackend(ctx context.Context, req *servicetypes.RelayRequest, b Backend) ([]byte, uint32, error) {
	hr, err := parseHTTPPayload(req.Payload)
	if err != nil {
		return nil, 0, err
	}
	h := req.Meta.SessionHeader
	rc := &RelayContext{
		Supplier: req.Meta.SupplierOperatorAddress, Service: h.ServiceId, Application: h.ApplicationAddress,
		SessionID: h.SessionId, SessionStartHeight: h.SessionStartBlockHeight, SessionEndHeight: h.SessionEndBlockHeight,
	}
	payload, status, err := b.Relay(ctx, hr, rc)
	if err != nil {
		var te interface{ Timeout() bool }
		if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &te) && te.Timeout()) {
			return nil, 0, reject(reasonBackendTimeout, "%w", err)
		}
		return nil, 0, reject(reasonBackendError, "%w", err)
	}
	if len(payload) == 0 { // a status-0 empty answer cannot carry a payload hash
		return nil, 0, reject(reasonBackendError, "backend returned an empty response")
	}
	return payload, uint32(status), nil
}

// writeResponse writes the marshaled response with HTTP 200 and flushes it.
func writeResponse(w http.ResponseWriter, resp *servicetypes.RelayResponse) error {
	n := resp.Size()
	bp := getBuf()
	if cap(*bp) < n {
		*bp = make([]byte, n)
	}
	b := (*bp)[:n]
	defer func() { *bp = b; putBuf(bp) }()
	if _, err := resp.MarshalToSizedBuffer(b); err != nil {
		return err
	}
	hd := w.Header()
	hd["Content-Type"] = protobufContentType
	hd["Content-Length"] = []string{strconv.Itoa(n)}
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(b); err != nil {
		return err
	}
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	return nil
}

func observe(svc *service, st stage, since time.Time) time.Time {
	now := time.Now()
	svc.stages[st].Observe(now.Sub(since).Seconds())
	return now
}

func headerOf(req *servicetypes.RelayRequest) *sessiontypes.SessionHeader {
	if req == nil {
		return nil
	}
	return req.Meta.SessionHeader
}
