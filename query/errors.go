package query

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Classes of errors. Every error a Client returns wraps at most one of them; test with
// errors.Is.
var (
	// ErrNotFound: the chain answered that the requested thing does not exist (at that height).
	ErrNotFound = errors.New("not found")
	// ErrTransient: the node could not answer now; a later attempt may succeed. Returned once
	// the retries are exhausted.
	ErrTransient = errors.New("transient")
	// ErrInvalid: the request was refused as malformed, or the answer could not be decoded.
	ErrInvalid = errors.New("invalid")
)

// notFoundTexts are the descriptions of poktroll's registered errors that mean "does not
// exist". Over gRPC only the text survives, and GetSession reports them as codes.Internal.
var notFoundTexts = []string{
	"application not found",                           // application 1104
	"supplier not found",                              // supplier 1103
	"claim not found",                                 // proof 1106
	"service not found",                               // service ErrServiceNotFound
	"application for session not found",               // session 1102
	"application in session not staked for requested", // session 1103
	"no suppliers not found for session",              // session 1104
	"application is not active",                       // session 1109
}

// transientTexts are answers that mean "ask again in a moment".
var transientTexts = []string{
	"is ahead of the last committed block height", // GetSession for a height not yet committed
}

// classify returns err wrapped with its class, or err unchanged when it has none. parent is
// the caller's context: its cancellation is never transient.
func classify(parent context.Context, err error) error {
	if err == nil {
		return nil
	}
	if perr := parent.Err(); perr != nil {
		return perr
	}
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrTransient) || errors.Is(err, ErrInvalid) {
		return err
	}
	if st, ok := status.FromError(err); ok {
		return classifyStatus(st, err)
	}
	if errors.Is(err, context.DeadlineExceeded) || isConnError(err) {
		return fmt.Errorf("%w: %w", ErrTransient, err)
	}
	return err
}

func classifyStatus(st *status.Status, err error) error {
	switch st.Code() {
	case codes.NotFound:
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case codes.InvalidArgument, codes.OutOfRange, codes.FailedPrecondition:
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted:
		return fmt.Errorf("%w: %w", ErrTransient, err)
	case codes.Canceled:
		// A canceled attempt whose caller is still waiting was canceled by our own timeout
		// or by the transport: worth another try.
		return fmt.Errorf("%w: %w", ErrTransient, err)
	}
	msg := st.Message()
	for _, t := range transientTexts {
		if strings.Contains(msg, t) {
			return fmt.Errorf("%w: %w", ErrTransient, err)
		}
	}
	for _, t := range notFoundTexts {
		if strings.Contains(msg, t) {
			return fmt.Errorf("%w: %w", ErrNotFound, err)
		}
	}
	return err
}

func isConnError(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE)
}

// outcome is the bounded metric label for err.
func outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrNotFound):
		return "not_found"
	case errors.Is(err, ErrInvalid):
		return "invalid"
	case errors.Is(err, ErrTransient):
		return "transient"
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	default:
		return "error"
	}
}
