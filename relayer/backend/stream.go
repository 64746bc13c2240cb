package backend

import (
	"context"
	"io"
	"net/http"
	"sync"
	"time"

	sdktypes "github.com/pokt-network/shannon-sdk/types"
)

// DoStream is Do for responses the caller reads as they arrive (SSE, NDJSON). Endpoint
// choice, retries and errors are those of Do, but only up to the response headers: the
// backend timeout bounds the wait for them, and after that the body lives as long as ctx.
// Every status is returned as a response, 5xx included once no other endpoint is left.
//
// The caller reads res.Body incrementally and must Close it; Close releases the connection
// and the exchange's context. The body is not size-capped: the caller bounds what it keeps.
func (p *Pool) DoStream(ctx context.Context, req *sdktypes.POKTHTTPRequest, h Headers) (*http.Response, error) {
	parent := ctx
	if err := parent.Err(); err != nil {
		return nil, p.fail(classify(parent, parent, err), nil, 0, err)
	}
	in, err := p.parseInbound(req, h)
	if err != nil {
		return nil, p.fail(ReasonBadRequest, nil, 0, err)
	}
	ctx, cancel := context.WithCancelCause(parent)
	timer := time.AfterFunc(p.timeout, func() { cancel(errBackendTimeout) })
	var tried uint64
	for attempt := 1; ; attempt++ {
		ep := p.pick(tried)
		tried |= 1 << ep.idx
		last := attempt >= len(p.eps)
		res, reason, err := p.streamAttempt(parent, ctx, ep, in, attempt, last)
		if reason == "" && timer.Stop() {
			res.Body = &streamBody{ReadCloser: res.Body, cancel: cancel}
			return res, nil
		}
		if reason == "" { // the timer fired as the headers arrived
			_ = res.Body.Close()
			reason, err = ReasonTimeout, errBackendTimeout
		}
		if last || !retryable(reason) || ctx.Err() != nil {
			if err == nil {
				err = context.Cause(ctx)
				reason = classify(parent, ctx, err)
			}
			timer.Stop()
			cancel(nil)
			return nil, p.fail(reason, ep, attempt, err)
		}
		p.retries[outcomeOf(reason)].Inc()
	}
}

// streamAttempt is one try on ep up to the response headers.
func (p *Pool) streamAttempt(parent, ctx context.Context, ep *endpoint, in *inbound, n int, last bool) (*http.Response, Reason, error) {
	start := time.Now()
	res, err := ep.rt.RoundTrip(ep.newRequest(ctx, in, p.header(ep, in, n)))
	if err != nil {
		return nil, p.attemptFailed(parent, ctx, ep, start, err), stripURL(err)
	}
	stripHopHeaders(res.Header)
	class := classOf(res.StatusCode)
	ep.m.status[class].Inc()
	if class == class5xx {
		p.finish(ep, start, outcome5xx)
		p.reportAnswered(ep)
		if !last && ctx.Err() == nil {
			_, _ = io.CopyN(io.Discard, res.Body, 4<<10)
			_ = res.Body.Close()
			return nil, Reason5xx, nil
		}
		return res, "", nil
	}
	p.finish(ep, start, outcomeOK) // duration: time to headers
	p.reportAnswered(ep)
	return res, "", nil
}

// streamBody ends the exchange's context when the caller closes the body.
type streamBody struct {
	io.ReadCloser
	cancel context.CancelCauseFunc
	once   sync.Once
}

func (b *streamBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(func() { b.cancel(nil) })
	return err
}
