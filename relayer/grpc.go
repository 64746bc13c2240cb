package relayer

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"

	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sdktypes "github.com/pokt-network/shannon-sdk/types"

	"github.com/shannon-ops/pocket-relay-miner/relayer/backend"
)

// gRPC relays (Rpc-Type 1).
//
// Wire form. A gRPC relay is an ordinary synchronous relay whose Rpc-Type header is 1: the
// gateway POSTs a marshaled RelayRequest (over HTTP/1.1 or h2c, on the relayer's one port);
// its payload is a POKTHTTPRequest describing one gRPC call — method POST, url path
// /package.Service/Method, header content-type application/grpc[+proto], body_bz the
// length-prefixed request message(s) (1 byte compressed flag, 4 bytes big-endian length,
// message). This is how poktroll v0.1.35 routes Rpc-Type 1 (sync.go: getServiceConfig picks the
// grpc rpc_type_service_config, the payload is rebuilt as an HTTP request) and how PATH sends
// every HTTP-carried relay; no gRPC-native gateway protocol exists on chain.
//
// Backend. The call goes to the service's grpc backend over HTTP/2 only (h2c for http URLs,
// h2 for https; backend.Pool for rpc type grpc), so a plain gRPC server answers. Te and other
// hop-by-hop headers are not forwarded; gRPC servers do not need them.
//
// Answer. The response body (length-prefixed messages, read in full, at most
// the grpc backend's max_response_bytes) and its headers become the POKTHTTPResponse; the HTTP/2 trailers
// (grpc-status, grpc-message, grpc-status-details-bin, …) are merged into its header map under
// their own names, as a Trailers-Only gRPC answer carries them, so a gateway finds grpc-status
// in one place whatever the answer's shape. The RelayResponse is signed (payload_hash set) and
// mined exactly like an HTTP relay. Server-streaming calls are answered once, in full; they are
// not framed.

// A gRPC call is bounded by transports.grpc.timeout, body included (the backend timeout
// bounds the wait for the response headers), and its answer by the grpc backend's
// max_response_bytes; both are resolved once in New (Server.grpcTimeout, service.grpcMaxResp).

// grpcMaxMessage bounds one length-prefixed message in a request body.
const grpcMaxMessage = 64 << 20

// serveGRPC forwards one gRPC call and answers it with one signed RelayResponse.
func (s *Server) serveGRPC(w http.ResponseWriter, r *http.Request, svc *service, signer Signer, sb StreamBackend, req *servicetypes.RelayRequest, hr *sdktypes.POKTHTTPRequest, job *postJob) {
	h := req.Meta.SessionHeader
	if _, err := GRPCMessages(hr.BodyBz, grpcMaxMessage); err != nil {
		s.refundLater(job)
		s.replyError(w, svc, h, reject(reasonMalformed, "grpc request body: %w", err))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.grpcTimeout)
	defer cancel()
	payload, status, err := callGRPC(ctx, sb, hr, relayContextOf(req), svc.grpcMaxResp)
	if err != nil {
		s.refundLater(job)
		s.replyError(w, svc, h, backendReject(err))
		return
	}
	s.streams.bySvc[svc.id].grpc.Inc()
	s.answer(w, svc, signer, req, payload, status, job)
}

// callGRPC sends the call and returns the serialized POKTHTTPResponse (headers and trailers
// merged) and the HTTP status; a response body over maxResp fails the call.
func callGRPC(ctx context.Context, sb StreamBackend, hr *sdktypes.POKTHTTPRequest, rc *RelayContext, maxResp int64) ([]byte, uint32, error) {
	res, err := sb.Stream(ctx, hr, rc)
	if err != nil {
		return nil, 0, err
	}
	defer res.Body.Close()
	body, err := readCapped(res.Body, maxResp)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, fmt.Errorf("read grpc response: %w", context.Cause(ctx))
		}
		return nil, 0, fmt.Errorf("read grpc response: %w", err)
	}
	hdr := res.Header.Clone()
	for k, v := range res.Trailer {
		hdr[k] = append(hdr[k], v...)
	}
	br := backend.Response{StatusCode: res.StatusCode, Header: hdr, Body: body}
	return br.AppendPOKT(make([]byte, 0, br.POKTSize())), uint32(res.StatusCode), nil
}

// GRPCMessage is one length-prefixed gRPC message.
type GRPCMessage struct {
	Compressed bool
	Data       []byte // aliases the parsed body
}

// Errors of GRPCMessages.
var (
	ErrGRPCShortFrame = errors.New("truncated grpc message")
	ErrGRPCFlag       = errors.New("grpc compressed flag is neither 0 nor 1")
	ErrGRPCTooLarge   = errors.New("grpc message over the size limit")
)

// GRPCMessages splits body into its length-prefixed messages (gRPC over HTTP/2: 1 byte
// compressed flag, 4 bytes big-endian length, message). An empty body has no message.
func GRPCMessages(body []byte, maxMessage int) ([]GRPCMessage, error) {
	var out []GRPCMessage
	for len(body) > 0 {
		if len(body) < 5 {
			return out, ErrGRPCShortFrame
		}
		flag, n := body[0], binary.BigEndian.Uint32(body[1:5])
		if flag > 1 {
			return out, ErrGRPCFlag
		}
		if uint64(n) > uint64(maxMessage) {
			return out, ErrGRPCTooLarge
		}
		if uint64(len(body)-5) < uint64(n) {
			return out, ErrGRPCShortFrame
		}
		out = append(out, GRPCMessage{Compressed: flag == 1, Data: body[5 : 5+n]})
		body = body[5+n:]
	}
	return out, nil
}

// AppendGRPCMessage appends msg length-prefixed (uncompressed) to dst.
func AppendGRPCMessage(dst, msg []byte) []byte {
	dst = append(dst, 0, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(dst[len(dst)-4:], uint32(len(msg)))
	return append(dst, msg...)
}
