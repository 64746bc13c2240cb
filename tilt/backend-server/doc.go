// Command backend-server runs the test backend of package tilt/backend on one loopback port:
// JSON-RPC, REST, WebSocket, SSE, NDJSON and gRPC (h2c on the same port; -grpc-listen adds a
// dedicated plain gRPC listener). Flags set the default knobs; each request may override them
// (see package backend).
//
//	backend-server -listen 127.0.0.1:8545 -delay 5ms -error-rate 0.01
//
// It prints one line with the bound address when it is ready, logs nothing per request, and
// shuts down gracefully on SIGINT or SIGTERM.
package main
