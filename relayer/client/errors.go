package client

import (
	"errors"
	"fmt"
)

// Category is the bounded class of a failed relay, used as a report key and an exit decision.
type Category string

// The categories a relay can fail in. Every error Do returns is an *Error with one of them.
const (
	// CategoryTransport: the relay never got an HTTP answer (dial, TLS, timeout, reset,
	// a body larger than Config.MaxResponseBytes).
	CategoryTransport Category = "transport"
	// CategoryHTTPStatus: the relay miner answered with a non-200 HTTP status (code
	// "miner_<status>"), or the backend's status inside a verified response is 400 or more
	// (code "backend_<status>").
	CategoryHTTPStatus Category = "http_status"
	// CategoryRelayMinerError: the relay miner answered with a RelayMinerError (code
	// "<codespace>/<code>").
	CategoryRelayMinerError Category = "relay_miner_error"
	// CategorySignatureInvalid: the response is not provably from the supplier: no or a bad
	// signature, a payload that does not match payload_hash, or a header of another session.
	CategorySignatureInvalid Category = "signature_invalid"
	// CategoryDecode: the body is not a RelayResponse, or its payload not a POKTHTTPResponse.
	CategoryDecode Category = "decode"
	// CategoryGRPCStatus: a verified gRPC answer whose grpc-status is not 0 (OK), or that
	// carries none (code: the status number, or "missing").
	CategoryGRPCStatus Category = "grpc_status"
	// CategoryClient: the request could not be built or signed here (no session, a key that
	// is not in the application's ring). Not the relay miner's fault.
	CategoryClient Category = "client"
)

// Categories lists every category in report order.
func Categories() []Category {
	return []Category{CategoryTransport, CategoryHTTPStatus, CategoryRelayMinerError,
		CategorySignatureInvalid, CategoryDecode, CategoryGRPCStatus, CategoryClient}
}

// Error is a failed relay: its category, a short bounded code within it (an HTTP status, a
// RelayMinerError codespace/code; empty when the category says it all) and the cause.
type Error struct {
	Category Category
	Code     string
	Err      error
}

func (e *Error) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("%s %s: %v", e.Category, e.Code, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Category, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

func fail(c Category, code string, format string, args ...any) *Error {
	return &Error{Category: c, Code: code, Err: fmt.Errorf(format, args...)}
}

// Classify returns the category and code of err: those of an *Error in its chain, or
// CategoryClient for anything else.
func Classify(err error) (Category, string) {
	var e *Error
	if errors.As(err, &e) {
		return e.Category, e.Code
	}
	return CategoryClient, ""
}
