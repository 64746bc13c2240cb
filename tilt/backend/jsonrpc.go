package backend

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
)

// rpcRequest is one JSON-RPC 2.0 call. ID and Params stay raw so they are echoed byte for byte.
type rpcRequest struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
}

// JSON-RPC error codes the backend answers with.
const (
	rpcParseError     = -32700
	rpcInvalidRequest = -32600
	rpcMethodNotFound = -32601
)

var outPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// serveJSONRPC answers POST /. A JSON object or array is treated as JSON-RPC; anything else is
// echoed back unchanged, which makes the handler a byte-exact echo server for opaque payloads.
func (s *Server) serveJSONRPC(w http.ResponseWriter, r *http.Request) {
	k, ok := s.prelude(w, r)
	if !ok {
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		writeBadRequest(w, err)
		return
	}
	defer putBuf(body)
	in := bytes.TrimLeft(body.Bytes(), " \t\r\n")

	bp := outPool.Get().(*[]byte)
	out := (*bp)[:0]
	switch {
	case len(in) > 0 && in[0] == '{':
		out = s.appendCall(out, in, k)
	case len(in) > 0 && in[0] == '[':
		out = s.appendBatch(out, in, k)
	default:
		ct := r.Header["Content-Type"]
		if len(ct) == 0 {
			ct = contentOctets
		}
		writeBody(w, k.status, ct, body.Bytes())
		outPool.Put(bp)
		return
	}
	writeBody(w, k.status, contentJSON, out)
	if cap(out) <= 1<<20 {
		*bp = out
		outPool.Put(bp)
	}
}

func (s *Server) appendBatch(out, in []byte, k knobs) []byte {
	var calls []json.RawMessage
	if err := json.Unmarshal(in, &calls); err != nil {
		return appendRPCError(out, nil, rpcParseError, "parse error")
	}
	if len(calls) == 0 {
		return appendRPCError(out, nil, rpcInvalidRequest, "empty batch")
	}
	out = append(out, '[')
	for i, c := range calls {
		if i > 0 {
			out = append(out, ',')
		}
		out = s.appendCall(out, c, k)
	}
	return append(out, ']')
}

// appendCall appends the answer to one call.
func (s *Server) appendCall(out, in []byte, k knobs) []byte {
	var req rpcRequest
	if err := json.Unmarshal(in, &req); err != nil {
		return appendRPCError(out, nil, rpcParseError, "parse error")
	}
	if req.Method == "" {
		return appendRPCError(out, req.ID, rpcInvalidRequest, "missing method")
	}
	if k.size > 0 {
		out = appendResultPrefix(out, req.ID)
		out = append(out, '"')
		out = append(out, padding[:k.size]...)
		return append(out, "\"}"...)
	}
	switch req.Method {
	case "eth_blockNumber":
		out = appendResultPrefix(out, req.ID)
		out = append(out, `"0x`...)
		out = strconv.AppendUint(out, s.height.next(), 16)
		return append(out, "\"}"...)
	case "eth_chainId":
		return append(appendResultPrefix(out, req.ID), `"0x1"}`...)
	case "net_version":
		return append(appendResultPrefix(out, req.ID), `"1"}`...)
	case "web3_clientVersion":
		return append(appendResultPrefix(out, req.ID), `"pocket-relay-miner-backend/v1"}`...)
	case "echo":
		params := req.Params
		if len(params) == 0 {
			params = json.RawMessage("null")
		}
		out = appendResultPrefix(out, req.ID)
		out = append(out, params...)
		return append(out, '}')
	default:
		return appendRPCError(out, req.ID, rpcMethodNotFound, "method not found")
	}
}

func appendID(out []byte, id json.RawMessage) []byte {
	if len(id) == 0 {
		return append(out, "null"...)
	}
	return append(out, id...)
}

func appendResultPrefix(out []byte, id json.RawMessage) []byte {
	out = append(out, `{"jsonrpc":"2.0","id":`...)
	out = appendID(out, id)
	return append(out, `,"result":`...)
}

func appendRPCError(out []byte, id json.RawMessage, code int, msg string) []byte {
	out = append(out, `{"jsonrpc":"2.0","id":`...)
	out = appendID(out, id)
	out = append(out, `,"error":{"code":`...)
	out = strconv.AppendInt(out, int64(code), 10)
	out = append(out, `,"message":`...)
	out = strconv.AppendQuote(out, msg)
	return append(out, "}}"...)
}
