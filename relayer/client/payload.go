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

// Transport is the kind of synchronous HTTP relay the client sends.
type Transport string

// The transports Do supports. WebSocket, gRPC and streaming relays are not supported yet.
const (
	TransportJSONRPC  Transport = "jsonrpc"
	TransportREST     Transport = "rest"
	TransportCometBFT Transport = "cometbft"
)

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
	}
	return sharedtypes.RPCType_UNKNOWN_RPC, fmt.Errorf("transport %q: want jsonrpc, rest or cometbft", string(t))
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
// (the RelayRequest payload) and the decoded form.
func (p Payload) Marshal() (*sdktypes.POKTHTTPRequest, []byte, error) {
	if _, err := p.Transport.RPCType(); err != nil {
		return nil, nil, err
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
