package client

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	sdktypes "github.com/pokt-network/shannon-sdk/types"
	"google.golang.org/protobuf/proto"
)

// Transport is the kind of relay the client sends.
type Transport string

// The transports Do supports.
const (
	TransportJSONRPC  Transport = "jsonrpc"
	TransportREST     Transport = "rest"
	TransportCometBFT Transport = "cometbft"
	// TransportGRPC: one unary gRPC call (Rpc-Type 1): POST /pkg.Service/Method,
	// content-type application/grpc, a length-prefixed message (see GRPCFrame).
	TransportGRPC Transport = "grpc"
	// TransportWebSocket: relays are binary frames on a WebSocket (Rpc-Type 2); the payload is
	// the backend message itself, not a POKTHTTPRequest.
	TransportWebSocket Transport = "websocket"
	// TransportStream: an HTTP relay (Rpc-Type 4, rest) asking for a streamed answer
	// (Accept text/event-stream by default, or application/x-ndjson), read frame by frame.
	TransportStream Transport = "stream"
)

// Transports lists every transport, in help order.
func Transports() []Transport {
	return []Transport{TransportJSONRPC, TransportREST, TransportCometBFT, TransportWebSocket, TransportGRPC, TransportStream}
}

// RPCType is the poktroll RPC type of t: the staked endpoint it picks and the value of the
// Rpc-Type header (PROTOCOL §8.4).
func (t Transport) RPCType() (sharedtypes.RPCType, error) {
	switch t {
	case TransportJSONRPC:
		return sharedtypes.RPCType_JSON_RPC, nil
	case TransportREST:
		return sharedtypes.RPCType_REST, nil
	case TransportCometBFT:
		return sharedtypes.RPCType_COMET_BFT, nil
	case TransportGRPC:
		return sharedtypes.RPCType_GRPC, nil
	case TransportWebSocket:
		return sharedtypes.RPCType_WEBSOCKET, nil
	case TransportStream:
		return sharedtypes.RPCType_REST, nil
	}
	return sharedtypes.RPCType_UNKNOWN_RPC, fmt.Errorf("transport %q: want jsonrpc, rest, cometbft, websocket, grpc or stream", string(t))
}

// Payload is the backend request a relay carries, before it is serialized as a
// POKTHTTPRequest (PROTOCOL §1.3).
type Payload struct {
	Transport Transport
	// Method is the HTTP method. Default: POST when Body is set (always for jsonrpc), else GET.
	Method string
	// Path is the request path and query the relay miner joins onto its backend URL.
	// Default "/".
	Path string
	// Body is the request body: a JSON-RPC request for jsonrpc and cometbft, anything for
	// rest.
	Body []byte
	// Header holds the backend request's headers. Content-Type defaults to application/json
	// when there is a body.
	Header http.Header
}

// Marshal validates p, fills its defaults and returns the deterministic POKTHTTPRequest bytes
// (the RelayRequest payload) and the decoded form. For websocket the payload is Body itself
// (the decoded form is nil).
//
// Per transport: grpc forces POST, wants Path of the form /pkg.Service/Method, defaults
// Content-Type to application/grpc and an empty Body to one empty message (GRPCFrame(nil));
// stream defaults Accept to text/event-stream.
func (p Payload) Marshal() (*sdktypes.POKTHTTPRequest, []byte, error) {
	if _, err := p.Transport.RPCType(); err != nil {
		return nil, nil, err
	}
	switch p.Transport {
	case TransportWebSocket:
		if len(p.Body) == 0 {
			return nil, nil, fmt.Errorf("websocket: a payload (the message each frame carries) is required")
		}
		return nil, append([]byte(nil), p.Body...), nil
	case TransportGRPC:
		if err := checkGRPCMethod(p.Path); err != nil {
			return nil, nil, err
		}
		if p.Method != "" && !strings.EqualFold(p.Method, http.MethodPost) {
			return nil, nil, fmt.Errorf("grpc: method %s: gRPC calls are POST", p.Method)
		}
		p.Method = http.MethodPost
		if len(p.Body) == 0 {
			p.Body = GRPCFrame(nil)
		}
		p.Header = withDefault(p.Header, "Content-Type", "application/grpc")
	case TransportStream:
		p.Header = withDefault(p.Header, "Accept", "text/event-stream")
	}
	if p.Path == "" {
		p.Path = "/"
	}
	u, err := url.Parse(p.Path)
	if err != nil || !strings.HasPrefix(u.Path, "/") || u.Host != "" {
		return nil, nil, fmt.Errorf("path %q: want an absolute path such as /v1/status", p.Path)
	}
	if p.Transport == TransportJSONRPC && len(p.Body) == 0 {
		return nil, nil, fmt.Errorf("jsonrpc: a payload (the JSON-RPC request body) is required")
	}
	if p.Method == "" {
		p.Method = http.MethodGet
		if len(p.Body) > 0 {
			p.Method = http.MethodPost
		}
	}
	p.Method = strings.ToUpper(p.Method)
	hdr := map[string]*sdktypes.Header{}
	for k, vs := range p.Header {
		ck := http.CanonicalHeaderKey(k)
		hdr[ck] = &sdktypes.Header{Key: ck, Values: append([]string(nil), vs...)}
	}
	if _, ok := hdr["Content-Type"]; !ok && len(p.Body) > 0 {
		hdr["Content-Type"] = &sdktypes.Header{Key: "Content-Type", Values: []string{"application/json"}}
	}
	req := &sdktypes.POKTHTTPRequest{Method: p.Method, Header: hdr, Url: u.String(), BodyBz: p.Body}
	bz, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
	if err != nil {
		return nil, nil, fmt.Errorf("serialize http request: %w", err)
	}
	return req, bz, nil
}

// withDefault returns a copy of h with name set to value unless h has it.
func withDefault(h http.Header, name, value string) http.Header {
	out := h.Clone()
	if out == nil {
		out = http.Header{}
	}
	if out.Get(name) == "" {
		out.Set(name, value)
	}
	return out
}

// ParseHeaders turns "Name: value" strings (the --header flag) into a header.
func ParseHeaders(lines []string) (http.Header, error) {
	h := http.Header{}
	for _, l := range lines {
		k, v, ok := strings.Cut(l, ":")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("header %q: want \"Name: value\"", l)
		}
		h.Add(k, strings.TrimSpace(v))
	}
	return h, nil
}

// sortedHeaderKeys returns the keys of a POKTHTTP header map in order, for stable output.
func sortedHeaderKeys(m map[string]*sdktypes.Header) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
