// Package relayer serves synchronous HTTP relays for the suppliers whose keys it holds:
// it validates each RelayRequest, forwards its payload to the service's backend, answers with
// one signed RelayResponse, and afterwards hands reward-applicable relays to the miner.
//
// # One relay
//
// One port speaks HTTP/1.1 and h2c. ServeHTTP (handler.go) runs, in order:
//
//  1. parse (request.go): the body is read into a pooled buffer, refused past the global cap
//     (the largest service limit) and then past the limit of the service the decoded request
//     names; the RelayRequest is decoded and ValidateBasic'ed; the service must be configured,
//     the Rpc-Type header must name a backend (3 JSON-RPC, 4 REST, 5 CometBFT; without the
//     header the service's jsonrpc backend, or its only backend; 1 gRPC goes to the grpc
//     backend over HTTP/2 (grpc.go); 2 WebSocket is upgraded and bridged (websocket.go)), and a
//     key for the supplier must be held.
//  2. validate (validate.go, eager services only): PROTOCOL §4.2 — the session is not past its
//     grace period (shared params at the session end height), the ring signature verifies
//     against the application's ring at the session end height (relayer/ring; membership by
//     poktroll's pure helper: app, delegated gateways, pending undelegations at or after the
//     end, the placeholder key when there are none; a subset check), every header field equals
//     the chain's session (queried at the end height inside the grace period, else at the
//     current height) and the supplier is in it. Then the relay meter is charged. A signature
//     that fails against a cached ring is retried once against a ring rebuilt from the
//     application reloaded from the chain, at most once per block (ringrefresh.go): a gateway
//     delegated to mid-session is in the running session's ring.
//  3. backend: the POKTHTTPRequest payload goes to the backend with the Pocket-* context.
//  4. sign (sign.go): RelayResponse{header, payload}, payload_hash = sha256(payload), one
//     secp256k1 signature by the supplier operator key over the signable bytes hash.
//  5. write: HTTP 200, the marshaled response, flushed.
//  6. hand off (post.go): the rest runs on a bounded pool, never on the request goroutine.
//
// Every failure is answered by replyError (reject.go), the one place that turns an error into
// poktroll's error reply — an unsigned RelayResponse with the request's session header, the
// error text as payload and relay_miner_error carrying poktroll v0.1.35's registered
// codespace, code and description — with HTTP 200, and counts
// relayminer_relays_rejected_total{service,reason} once.
//
// # After the answer
//
// A post job validates optimistic services' relays (a failing relay is never mined), checks
// reward eligibility (answered below the claim window open height of the session, backend
// status < 500, not over-serviced), dehydrates the relay (response payload removed; the bytes
// are otherwise exactly the response the client got), hashes it, compares the hash with the
// service's difficulty target at the session start height and publishes it with the compute
// units per relay at the session start height. A relay gives its meter charge back exactly
// when poktroll v0.1.35 does (failed, not reward-eligible, dropped before mining); one above
// the difficulty target keeps it (post.go: outcome.refunds). A ring_recheck.sample_rate
// fraction of relays is verified again with ring-go (recheck.go). The pool's queue is
// bounded; a full queue drops the relay and counts it.
//
// # Caches
//
// Nothing on the relay path queries the chain once a session is warm. A verified (session id,
// supplier) pair is remembered with the chain's header, its grace and claim heights, its ring,
// compute units and difficulty; a later relay of it costs a header comparison and one ring
// verification. Rings are kept per (application, session end). Both are pruned once the
// session's claim window opens. Chain reads go through the Chain interface (package cache).
//
// # Other transports
//
// WebSocket (websocket*.go): the upgrade is authenticated before it happens (a served service
// with a websocket backend, a session at the current height that includes a supplier we hold,
// before its claim window); every gateway frame must be a valid RelayRequest before its payload
// reaches the backend; each backend message becomes one signed RelayResponse and one mined
// relay; one writer per connection; the bridge closes when the session's claim window opens.
// Streaming (stream*.go): a relay that asks for text/event-stream or NDJSON is answered in signed
// frames (a RelayResponse followed by "||POKT_STREAM||") cut at event boundaries and bounded by
// time, bytes and count; the whole exchange is mined once.
//
// # Lifecycle
//
// New builds everything and starts nothing. Serve (or Run) serves until its context ends,
// then reports not ready, stops accepting, waits up to the shutdown timeout for in-flight
// relays and finishes the queued post jobs; the caller then flushes the publisher.
package relayer
