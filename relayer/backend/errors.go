package backend

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/url"
	"strconv"
)

// Reason says where a backend exchange failed. It is a bounded set: the relayer uses it as the
// reason label of its rejection metric and to choose the error reply.
type Reason string

// Reasons. Reason5xx is never carried by an *Error: a backend 5xx that survives the retries is
// returned as a Response (the client gets the backend's answer); it names the requests_total
// outcome and the retry reason.
const (
	// ReasonDial: no connection could be made (refused, DNS, dial timeout). The request never
	// left, so another endpoint was always tried when there was one.
	ReasonDial Reason = "backend_dial"
	// ReasonTimeout: the backend timeout (or the caller's deadline) expired.
	ReasonTimeout Reason = "backend_timeout"
	// ReasonTransport: the connection failed after the request was sent (reset, EOF before a
	// complete response, TLS or protocol error).
	ReasonTransport Reason = "backend_transport"
	// Reason5xx: the backend answered 500-599.
	Reason5xx Reason = "backend_5xx"
	// ReasonTooLarge: the response body exceeded the maximum response size.
	ReasonTooLarge Reason = "backend_response_too_large"
	// ReasonClientCanceled: the caller's context was canceled (the client went away). Count
	// it; there is nobody to answer.
	ReasonClientCanceled Reason = "client_canceled"
	// ReasonBadRequest: the POKTHTTPRequest cannot be turned into an HTTP request (bad URL or
	// method). Nothing was sent.
	ReasonBadRequest Reason = "backend_bad_request"
)

// Reasons lists every Reason, for creating metric children at startup.
var Reasons = []Reason{
	ReasonDial, ReasonTimeout, ReasonTransport, Reason5xx, ReasonTooLarge, ReasonClientCanceled,
	ReasonBadRequest,
}

// Error is a failed backend exchange. Its message names the service, rpc type and endpoint
// index, never a URL, a header value or a credential.
type Error struct {
	Reason   Reason
	Service  string
	RPCType  string
	Endpoint string // configured index of the last endpoint tried; "" when none was
	Attempts int    // endpoints tried
	Err      error  // the cause, stripped of URLs
}

func (e *Error) Error() string {
	s := "backend " + e.Service + "/" + e.RPCType
	if e.Endpoint != "" {
		s += " endpoint " + e.Endpoint
	}
	if e.Attempts > 1 {
		s += " (after " + strconv.Itoa(e.Attempts) + " attempts)"
	}
	s += ": " + string(e.Reason)
	if e.Err != nil {
		s += ": " + safeMessage(e.Err)
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// ReasonOf returns the Reason of an *Error in err's chain, or "" when there is none.
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// errBackendTimeout is the cancellation cause of the context bounding one exchange.
var errBackendTimeout = errors.New("backend timeout")

// errTooLarge is the cause of a ReasonTooLarge error.
var errTooLarge = errors.New("response body over the size limit")

// dialError marks an error of the endpoint transport's dialer: the request was not sent.
type dialError struct{ err error }

func (e *dialError) Error() string { return safeMessage(e.err) }
func (e *dialError) Unwrap() error { return e.err }

// classify decides the Reason of a failed attempt. parent is the caller's context, ctx the one
// bounded by the backend timeout.
func classify(parent, ctx context.Context, err error) Reason {
	if parent.Err() != nil {
		if errors.Is(context.Cause(parent), context.DeadlineExceeded) {
			return ReasonTimeout
		}
		return ReasonClientCanceled
	}
	if ctx.Err() != nil && errors.Is(context.Cause(ctx), errBackendTimeout) {
		return ReasonTimeout
	}
	if errors.Is(err, errTooLarge) {
		return ReasonTooLarge
	}
	var de *dialError
	if errors.As(err, &de) {
		return ReasonDial
	}
	var tlsErr *tls.CertificateVerificationError
	var hdrErr tls.RecordHeaderError
	var unkAuth x509.UnknownAuthorityError
	if errors.As(err, &tlsErr) || errors.As(err, &hdrErr) || errors.As(err, &unkAuth) {
		return ReasonDial // the handshake failed: nothing was sent
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ReasonTimeout
	}
	return ReasonTransport
}

// stripURL drops the *url.Error layer that names the request URL (which may carry an API key).
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// safeMessage renders err without addresses or URLs: dial and DNS errors keep their cause
// only ("connect: connection refused", "no such host").
func safeMessage(err error) string {
	err = stripURL(err)
	var de *net.DNSError
	if errors.As(err, &de) {
		if de.IsNotFound {
			return "lookup: no such host"
		}
		return "lookup: " + de.Err
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Op + ": " + safeMessage(oe.Err)
	}
	return err.Error()
}

// transportFailure reports whether r means the endpoint could not be reached or did not
// answer: the only failures that count toward its breaker.
func transportFailure(r Reason) bool {
	switch r {
	case ReasonDial, ReasonTimeout, ReasonTransport:
		return true
	}
	return false
}
