package relayer

import (
	"io"
	"net/http"
	"strconv"
	"sync"

	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sdktypes "github.com/pokt-network/shannon-sdk/types"
	"google.golang.org/protobuf/proto"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

// rpcTypeHeader selects the backend by its numeric poktroll RPCType (PROTOCOL §8.4).
const rpcTypeHeader = "Rpc-Type"

// Buffers larger than this are dropped rather than pooled.
const maxPooledBuffer = 1 << 20

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(bp *[]byte) {
	if cap(*bp) > maxPooledBuffer {
		return
	}
	*bp = (*bp)[:0]
	bufPool.Put(bp)
}

// readBody reads the request body into a pooled buffer, refusing more than limit bytes. The
// caller returns the buffer with putBuf.
func readBody(r *http.Request, limit int64) (*[]byte, error) {
	if r.ContentLength > limit {
		return nil, reject(reasonBodyTooLarge, "body of %d bytes over the %d byte limit", r.ContentLength, limit)
	}
	bp := getBuf()
	b := *bp
	if n := r.ContentLength; n > int64(cap(b)) {
		b = make([]byte, 0, n+1) // +1: room to see EOF without growing
	}
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if int64(len(b)) > limit {
			*bp = b
			putBuf(bp)
			return nil, reject(reasonBodyTooLarge, "body over the %d byte limit", limit)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			*bp = b
			putBuf(bp)
			return nil, reject(reasonMalformed, "read body: %w", err)
		}
	}
	*bp = b
	return bp, nil
}

// parseRelayRequest decodes and basic-validates a RelayRequest. On a ValidateBasic failure the
// decoded request is returned with the error, so the reply can carry its session header.
// Decoding copies every field, so body may be reused afterwards.
func parseRelayRequest(body []byte) (*servicetypes.RelayRequest, error) {
	req := &servicetypes.RelayRequest{}
	if err := req.Unmarshal(body); err != nil {
		return nil, reject(reasonMalformed, "decode relay request: %w", err)
	}
	if err := req.ValidateBasic(); err != nil {
		return req, rejectWrap(reasonInvalidRequest, err)
	}
	return req, nil
}

// parseHTTPPayload decodes the POKTHTTPRequest carried by a synchronous relay.
func parseHTTPPayload(payload []byte) (*sdktypes.POKTHTTPRequest, error) {
	hr := &sdktypes.POKTHTTPRequest{}
	if err := proto.Unmarshal(payload, hr); err != nil {
		return nil, reject(reasonMalformed, "decode relay payload as an HTTP request: %w", err)
	}
	return hr, nil
}

// rpcTypeByHeader maps Rpc-Type header values to configured backend kinds; grpc (1) and
// websocket (2) are served by other transports (a later release) and are refused here.
var rpcTypeByHeader = map[string]config.RPCType{
	"3": config.RPCJSONRPC, "4": config.RPCREST, "5": config.RPCCometBFT,
}

// route picks the backend for the request's Rpc-Type header. Without the header the service's
// jsonrpc backend answers, or its only backend when it has exactly one.
func (svc *service) route(h http.Header) (Backend, error) {
	v := h[rpcTypeHeader]
	if len(v) == 0 || v[0] == "" {
		if svc.fallback == nil {
			return nil, reject(reasonUnsupportedRPCType, "no %s header and service %s has no jsonrpc backend", rpcTypeHeader, svc.id)
		}
		return svc.fallback, nil
	}
	t, ok := rpcTypeByHeader[v[0]]
	if !ok {
		if n, err := strconv.Atoi(v[0]); err == nil && (n == 1 || n == 2) {
			return nil, reject(reasonUnsupportedRPCType, "%s %d (gRPC/WebSocket) is not served over HTTP relays yet", rpcTypeHeader, n)
		}
		return nil, reject(reasonUnsupportedRPCType, "unknown %s %q", rpcTypeHeader, v[0])
	}
	b := svc.backends[t]
	if b == nil {
		return nil, reject(reasonUnsupportedRPCType, "service %s has no %s backend", svc.id, t)
	}
	return b, nil
}
