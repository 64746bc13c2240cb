package client

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	sdktypes "github.com/pokt-network/shannon-sdk/types"
	"google.golang.org/grpc/codes"
)

// GRPCFrame wraps one protobuf message in the gRPC length prefix: a compressed flag (0), its
// length as 4 bytes big-endian, then the message. GRPCFrame(nil) is one empty message.
func GRPCFrame(msg []byte) []byte {
	out := make([]byte, 5, 5+len(msg))
	binary.BigEndian.PutUint32(out[1:], uint32(len(msg)))
	return append(out, msg...)
}

// checkGRPCMethod accepts a gRPC method path: /package.Service/Method.
func checkGRPCMethod(path string) error {
	svc, method, ok := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if !strings.HasPrefix(path, "/") || !ok || svc == "" || method == "" || strings.ContainsAny(method, "/?#") {
		return fmt.Errorf("grpc: method %q: want /package.Service/Method", path)
	}
	return nil
}

// grpcStatus checks the grpc-status of a verified gRPC answer: the relay miner merges the
// HTTP/2 trailers into the POKTHTTPResponse header map, so it is found there under any case.
// It fills res.GRPCStatus and res.GRPCMessage.
func grpcStatus(hr *sdktypes.POKTHTTPResponse, res *Result) error {
	st, msg := headerOf(hr.Header, "grpc-status"), headerOf(hr.Header, "grpc-message")
	res.GRPCStatus, res.GRPCMessage = st, msg
	if st == "" {
		return fail(CategoryGRPCStatus, "missing", "the answer carries no grpc-status (HTTP %d)", hr.StatusCode)
	}
	n, err := strconv.ParseUint(st, 10, 32)
	if err != nil {
		return fail(CategoryGRPCStatus, "malformed", "grpc-status %q is not a number", snippet([]byte(st)))
	}
	if n != 0 {
		return fail(CategoryGRPCStatus, strconv.FormatUint(n, 10), "grpc-status %d (%s): %s", n, codes.Code(n), snippet([]byte(msg)))
	}
	return nil
}

// headerOf is the first value of a POKTHTTP header, matched without case.
func headerOf(h map[string]*sdktypes.Header, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) && v != nil && len(v.Values) > 0 {
			return v.Values[0]
		}
	}
	return ""
}
