package backend

import (
	"context"
	"io"
	"net/http"
	"time"

	sdktypes "github.com/pokt-network/shannon-sdk/types"
)

// Do sends one relay's HTTP request to the backend and reads the response in full.
//
// The request is rebuilt from req (see the package doc) with the static, auth and context
// headers. The whole exchange, retries included, is bounded by the backend timeout and ctx.
// A dial error, a transport error or a 5xx is retried once on each other endpoint while time
// remains; a timeout, an oversized response or a canceled ctx is not. When every attempt
// answered 5xx, the last 5xx is returned as a Response, not an error.
//
// On success the caller owns the Response and must Release it. On failure the error is an
// *Error whose Reason says where the exchange failed.
func (p *Pool) Do(ctx context.Context, req *sdktypes.POKTHTTPRequest, h Headers) (*Response, error) {
	parent := ctx
	if err := parent.Err(); err != nil {
		return nil, p.fail(classify(parent, parent, err), nil, 0, err)
	}
	in, err := p.parseInbound(req, h)
	if err != nil {
		return nil, p.fail(ReasonBadRequest, nil, 0, err)
	}
	ctx, cancel := context.WithTimeoutCause(parent, p.timeout, errBackendTimeout)
	defer cancel()
	var tried uint64
	for attempt := 1; ; attempt++ {
		ep := p.pick(tried)
		tried |= 1 << ep.idx
		last := attempt >= len(p.eps)
		res, reason, err := p.attempt(parent, ctx, ep, in, attempt, last)
		if reason == "" {
			return res, nil
		}
		if last || !retryable(reason) || ctx.Err() != nil {
			if err == nil { // a 5xx was discarded for a retry, then time ran out
				err = context.Cause(ctx)
				reason = classify(parent, ctx, err)
			}
			return nil, p.fail(reason, ep, attempt, err)
		}
		p.retries[outcomeOf(reason)].Inc()
	}
}

func retryable(r Reason) bool { return r == ReasonDial || r == ReasonTransport || r == Reason5xx }

// attempt is one try on ep. It returns the Response, or the failure Reason (Reason5xx with a
// nil error when a 5xx was discarded for a retry).
func (p *Pool) attempt(parent, ctx context.Context, ep *endpoint, in *inbound, n int, last bool) (*Response, Reason, error) {
	start := time.Now()
	res, err := ep.rt.RoundTrip(ep.newRequest(ctx, in, p.header(ep, in, n)))
	if err != nil {
		return nil, p.attemptFailed(parent, ctx, ep, start, err), stripURL(err)
	}
	stripHopHeaders(res.Header)
	class := classOf(res.StatusCode)
	ep.m.status[class].Inc()
	if class == class5xx && !last && ctx.Err() == nil {
		_, _ = io.CopyN(io.Discard, res.Body, 4<<10)
		_ = res.Body.Close()
		p.finish(ep, start, outcome5xx)
		p.reportAnswered(ep)
		return nil, Reason5xx, nil
	}
	bp, err := readBody(res.Body, res.ContentLength, p.maxResp)
	_ = res.Body.Close()
	if err != nil {
		return nil, p.attemptFailed(parent, ctx, ep, start, err), err
	}
	out := &Response{StatusCode: res.StatusCode, Header: res.Header, Body: *bp, Endpoint: ep.name, Attempts: n, buf: bp}
	if class == class5xx {
		p.finish(ep, start, outcome5xx)
	} else {
		p.finish(ep, start, outcomeOK)
	}
	p.reportAnswered(ep)
	return out, "", nil
}

// attemptFailed classifies, counts and reports a failed attempt.
func (p *Pool) attemptFailed(parent, ctx context.Context, ep *endpoint, start time.Time, err error) Reason {
	r := classify(parent, ctx, err)
	p.finish(ep, start, outcomeOf(r))
	if e := p.log.Debug(); e.Enabled() {
		e.Str("endpoint", ep.name).Str("reason", string(r)).Str("error", safeMessage(err)).Msg("backend attempt failed")
	}
	// Only a failing transport is the endpoint being down. A client's cancel, a body over the
	// limit or a request that cannot be built says nothing about it, and must not let a client
	// open the breaker (and unready the relayer) with requests of its choosing.
	if transportFailure(r) {
		p.reportFailure(ep, r)
	}
	return r
}

func (p *Pool) finish(ep *endpoint, start time.Time, o outcome) {
	ep.m.requests[o].Inc()
	ep.m.duration.Observe(time.Since(start).Seconds())
}

// header returns the header map of attempt n on ep. The first attempt uses the relay's map;
// a retry gets a copy, since the transport may still be writing the previous request.
func (p *Pool) header(ep *endpoint, in *inbound, n int) http.Header {
	h := in.header
	if n > 1 {
		h = h.Clone()
	}
	switch {
	case ep.auth != nil:
		h["Authorization"] = ep.auth
	case in.clientAuth != nil:
		h["Authorization"] = in.clientAuth
	default:
		delete(h, "Authorization")
	}
	return h
}

// fail builds the error of a failed exchange.
func (p *Pool) fail(r Reason, ep *endpoint, attempts int, err error) *Error {
	e := &Error{Reason: r, Service: p.service, RPCType: p.rpcType, Attempts: attempts, Err: stripURL(err)}
	if ep != nil {
		e.Endpoint = ep.name
	}
	return e
}
