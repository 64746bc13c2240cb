package relayer

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
)

// reason is why a relay was rejected: the relays_rejected_total label and, through
// protocolErrors, the relay_miner_error a gateway sees. The set is closed.
type reason uint8

const (
	reasonBodyTooLarge         reason = iota // body over the global cap or the service's limit
	reasonMalformed                          // not a RelayRequest, or its payload not a POKTHTTPRequest
	reasonInvalidRequest                     // RelayRequest.ValidateBasic failed
	reasonUnknownService                     // service id not configured here
	reasonUnsupportedRPCType                 // Rpc-Type not served (yet) or not configured for the service
	reasonUnknownSupplier                    // no key for the supplier operator address
	reasonNotReady                           // no block height yet
	reasonSessionExpired                     // past the grace period
	reasonInvalidSession                     // header differs from the chain's session
	reasonSupplierNotInSession               // supplier not among the session's suppliers
	reasonBadSignature                       // ring signature invalid or not from the app's ring
	reasonRingUnavailable                    // app or ring member keys not found on chain
	reasonChainUnavailable                   // a chain query failed transiently
	reasonOverServiced                       // relay meter: application stake exhausted
	reasonMeterUnavailable                   // relay meter unreachable and fail_mode closed
	reasonBackendTimeout                     // backend did not answer in time
	reasonBackendError                       // backend unreachable or failed
	reasonInternal                           // a bug or a signing failure
	reasonBadRPCType                         // Rpc-Type header is not a decimal integer
	numReasons
)

var reasonNames = [numReasons]string{
	"body_too_large", "malformed", "invalid_request", "unknown_service", "unsupported_rpc_type",
	"unknown_supplier", "not_ready", "session_expired", "invalid_session", "supplier_not_in_session",
	"bad_signature", "ring_unavailable", "chain_unavailable", "over_serviced", "meter_unavailable",
	"backend_timeout", "backend_error", "internal", "bad_rpc_type",
}

func (r reason) String() string { return reasonNames[r] }

// protocolError is a registered poktroll error as it travels in RelayMinerError: the relay
// miner's codespace and code and the registered description (PROTOCOL §1.3, poktroll
// pkg/relayer/proxy/error_reply.go). The values are poktroll v0.1.35's registrations; the
// table test compares them with poktroll's error variables.
type protocolError struct {
	codespace   string
	code        uint32
	description string
}

var (
	errProxyInternal      = protocolError{"relayer_proxy", 5, "internal error"}
	errProxyNotHandled    = protocolError{"relayer_proxy", 3, "service endpoint not handled by relayer proxy"}
	errProxyTransport     = protocolError{"relayer_proxy", 4, "unsupported proxy transport type"}
	errProxyRateLimited   = protocolError{"relayer_proxy", 7, "offchain rate limit hit by relayer proxy"}
	errProxyNotReachable  = protocolError{"relayer_proxy", 9, "supplier(s) not reachable"}
	errProxyTimeout       = protocolError{"relayer_proxy", 10, "relayer proxy request timed out"}
	errProxyMaxBody       = protocolError{"relayer_proxy", 11, "max body size exceeded"}
	errProxyUnmarshal     = protocolError{"relayer_proxy", 14, "failed to unmarshal relay request"}
	errAuthInvalidSession = protocolError{"relay_authenticator", 1, "invalid session in relayer request"}
	errAuthNotInSession   = protocolError{"relay_authenticator", 2, "supplier does not belong to session"}
	errRingsInvalid       = protocolError{"rings", 2, "invalid relay request"}
	errRingsSignature     = protocolError{"rings", 3, "invalid relay request signature"}
	errServiceInvalidReq  = protocolError{servicetypes.ModuleName, 1111, "invalid relay request"}
)

// protocolErrors maps each reason to the error poktroll's relay miner answers in that case.
var protocolErrors = [numReasons]protocolError{
	reasonBodyTooLarge:         errProxyMaxBody,
	reasonMalformed:            errProxyUnmarshal,
	reasonInvalidRequest:       errServiceInvalidReq,
	reasonUnknownService:       errProxyNotHandled,
	reasonUnsupportedRPCType:   errProxyTransport,
	reasonUnknownSupplier:      errProxyNotReachable,
	reasonNotReady:             errProxyInternal,
	reasonSessionExpired:       errAuthInvalidSession,
	reasonInvalidSession:       errAuthInvalidSession,
	reasonSupplierNotInSession: errAuthNotInSession,
	reasonBadSignature:         errRingsSignature,
	reasonRingUnavailable:      errRingsInvalid,
	reasonChainUnavailable:     errProxyInternal,
	reasonOverServiced:         errProxyRateLimited,
	reasonMeterUnavailable:     errProxyInternal,
	reasonBackendTimeout:       errProxyTimeout,
	reasonBackendError:         errProxyInternal,
	reasonInternal:             errProxyInternal,
	reasonBadRPCType:           errProxyInternal, // poktroll answers an unparsable header as an internal error
}

// rejectError is a rejected relay: its reason decides the metric label and the reply.
type rejectError struct {
	reason reason
	err    error // context for the message; may be nil
}

func (e *rejectError) Error() string {
	d := protocolErrors[e.reason].description
	if e.err == nil {
		return d
	}
	return e.err.Error() + ": " + d
}

func (e *rejectError) Unwrap() error { return e.err }

func reject(r reason, format string, args ...any) *rejectError {
	if format == "" {
		return &rejectError{reason: r}
	}
	return &rejectError{reason: r, err: fmt.Errorf(format, args...)}
}

// rejectWrap wraps err (kept for errors.Is) under reason r.
func rejectWrap(r reason, err error) *rejectError { return &rejectError{reason: r, err: err} }

// reasonOf returns the reason of err; errors that are not rejections are internal.
func reasonOf(err error) reason {
	var re *rejectError
	if errors.As(err, &re) {
		return re.reason
	}
	return reasonInternal
}

// errorResponse builds the unsigned RelayResponse poktroll's relay miner answers for err:
// the request's session header (an empty one when unknown), the error text as payload and
// relay_miner_error filled from the registered error.
func errorResponse(err error, h *sessiontypes.SessionHeader) *servicetypes.RelayResponse {
	pe := protocolErrors[reasonOf(err)]
	msg := err.Error()
	if h == nil {
		h = &sessiontypes.SessionHeader{}
	}
	return &servicetypes.RelayResponse{
		Meta:    servicetypes.RelayResponseMetadata{SessionHeader: h},
		Payload: []byte(msg),
		RelayMinerError: &servicetypes.RelayMinerError{
			Codespace:   pe.codespace,
			Code:        pe.code,
			Description: pe.description,
			Message:     msg,
		},
	}
}

// replyError is the one place a rejected relay is answered and counted: HTTP 200 with the
// marshaled error RelayResponse, and relays_rejected_total{service,reason} incremented once.
func (s *Server) replyError(w http.ResponseWriter, svc *service, h *sessiontypes.SessionHeader, err error) {
	r := reasonOf(err)
	svc.rejected[r].Inc()
	if e := s.log.Debug(); e.Enabled() {
		e.Str("service", svc.id).Str("reason", r.String()).Err(err).Msg("relay rejected")
	}
	bz, mErr := errorResponse(err, h).Marshal()
	if mErr != nil { // cannot happen for these plain messages
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd["Content-Type"] = protobufContentType
	hd["Content-Length"] = []string{strconv.Itoa(len(bz))}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(bz)
}

var protobufContentType = []string{"application/x-protobuf"}
