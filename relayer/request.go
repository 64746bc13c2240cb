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

// rpcTypeByNumber maps poktroll's numeric RPCType (the Rpc-Type header) to backend kinds.
// Rpc-Type 2 (websocket) never reaches route: an exact "2" is an upgrade (websocket.go), and
// any other spelling of 2 falls back like a number with no HTTP backend of its own.
var rpcTypeByNumber = map[int32]config.RPCType{
	1: config.RPCGRPC, 3: config.RPCJSONRPC, 4: config.RPCREST, 5: config.RPCCometBFT,
}

// resolve picks the rpc type of the backend for a request with header h, as poktroll v0.1.35
// does (pkg/relayer/proxy/sync.go, getServiceConfig): no header, or an empty one, takes the
// service's default backend; a header that is not a decimal integer is refused (relayer_proxy
// 5, "unable to parse rpc type header value"); an integer names poktroll's RPCType after the
// same int32 conversion, and takes that type's backend when the service has one, otherwise the
// default backend — unless the service is strict_rpc_type, which refuses it (relayer_proxy 4).
func (svc *service) resolve(h http.Header) (config.RPCType, error) {
	v := h[rpcTypeHeader]
	if len(v) == 0 || v[0] == "" {
		return svc.defaultType()
	}
	n, err := strconv.Atoi(v[0])
	if err != nil {
		return "", reject(reasonBadRPCType, "unable to parse %s header value %q", rpcTypeHeader, v[0])
	}
	if t, ok := rpcTypeByNumber[int32(n)]; ok && svc.backends[t] != nil {
		return t, nil
	}
	if svc.strictRPCType {
		return "", reject(reasonUnsupportedRPCType, "service %s has no backend for %s %s", svc.id, rpcTypeHeader, v[0])
	}
	return svc.defaultType()
}

func (svc *service) defaultType() (config.RPCType, error) {
	if svc.fallback == nil {
		return "", reject(reasonUnsupportedRPCType, "service %s has no default backend (set default_backend)", svc.id)
	}
	return svc.fallbackType, nil
}

// route returns the backend resolve picks for a request with header h.
func (svc *service) route(h http.Header) (Backend, error) {
	t, err := svc.resolve(h)
	if err != nil {
		return nil, err
	}
	return svc.backends[t], nil
}
