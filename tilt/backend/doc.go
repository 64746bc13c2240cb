// Package backend is the test service that sits behind a relayer in tests, the local stack and
// benchmarks. One Server answers every transport a supplier can stake:
//
//   - JSON-RPC on POST / and on any other POST path without its own route (single and batch): eth_blockNumber, eth_chainId, net_version,
//     web3_clientVersion, echo (returns params); any other method gets -32601. A body that is not
//     a JSON-RPC object or array is echoed back verbatim.
//   - REST: GET /v1/status, GET /v1/blocks/{height}, GET /bytes/{n}, POST|PUT /v1/echo.
//   - WebSocket on /ws: every message is echoed; a JSON-RPC eth_subscribe message, or the query
//     ?mode=push on connect, makes the server push count notifications.
//   - Server-sent events on /stream/sse and NDJSON on /stream/ndjson: count events, interval
//     apart, each flushed as it is produced.
//   - gRPC service backend.v1.Backend (Echo unary, Stream server-streaming, both on
//     wrapperspb messages so no generated code is needed) plus grpc.health.v1 and server
//     reflection. gRPC shares the HTTP port: the server speaks HTTP/1.1 and unencrypted HTTP/2
//     (h2c, prior knowledge) on one listener, and requests with an application/grpc content type
//     go to the gRPC server. GRPCServer also returns the gRPC server for a dedicated listener.
//   - GET /health answers 200 {"status":"ok"}.
//
// # Knobs
// Config holds the defaults (flags of backend-server). Each HTTP request may override them with
// query parameters or X-Backend-* headers, gRPC calls with x-backend-* metadata:
//
//	delay=50ms       wait before answering (the wait ends early if the client goes away)
//	status=503       HTTP status of every answer (gRPC: a numeric codes.Code)
//	error_rate=0.1   fraction of answers that fail with error_status (default 500; gRPC Unavailable)
//	size=1024        response payload of this many bytes (JSON-RPC: the result string; REST: the body)
//	count=5          events or pushed messages for streams and WebSocket subscriptions
//	interval=10ms    time between streamed events
//
// # Performance
// The server must never be the bottleneck of a benchmark: it logs nothing per request, reads
// bodies into pooled buffers, serves padding from one buffer built at start-up, and parses knobs
// only when a request carries any. BenchmarkJSONRPC* measure it.
//
// # Lifecycle
// New builds a Server and starts nothing. Handler serves HTTP; Close ends the WebSocket
// connections the HTTP server cannot track once they are hijacked, and stops the gRPC server.
package backend
