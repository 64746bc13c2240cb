// Package backend sends relays to a service's upstream: one Pool per configured
// (service, rpc type), holding its endpoints, how one is chosen, their health and circuit
// breakers, and the HTTP exchange itself.
//
// # Lifecycle
//
// New parses the config once (endpoint URLs, base paths and queries, static headers, the
// Authorization value, one http.Transport per endpoint, the metric children). It starts
// nothing and does no I/O, so `relayer validate` can call it too. Run performs the active
// health checks in the calling goroutine and returns only when its context ends; Close drops
// idle connections once Run has returned and no exchange is in flight.
//
// # One exchange
//
// Do(ctx, req, headers) turns the relay's POKTHTTPRequest into an HTTP request:
//
//   - method: req.method (GET when empty; an invalid token is ReasonBadRequest).
//   - URL: scheme and host are the endpoint's; req.url may be absolute or a bare path and only
//     its path and query are used. The path is cleaned as a rooted path (no "." or "..", so it
//     cannot climb out of the base path; a trailing slash is kept) and appended to the
//     endpoint's base path. "/" or an empty path leave the base path exactly as configured, so
//     "https://provider/v2/KEY" is never turned into ".../v2/KEY/". The endpoint's query comes
//     first, then the client's, from which any parameter the endpoint's query names is removed:
//     a configured parameter (an API key) cannot be overridden.
//   - headers: the client's, minus hop-by-hop headers (Connection, Keep-Alive, Proxy-*, TE,
//     Trailer, Transfer-Encoding, Upgrade), Host, Content-Length, Expect and every Pocket-*
//     header (only the relayer sets those); then the static headers (they replace the
//     client's); then Authorization (basic_auth, bearer_token, or user:pass in the endpoint
//     URL; without any, the client's Authorization passes through); then the context headers
//     Pocket-Supplier, Pocket-Service, Pocket-Application and, when given, Pocket-Session-Id,
//     Pocket-Session-Start-Height and Pocket-Session-End-Height.
//   - body: body_bz with Content-Length set (never chunked, whatever the client used).
//
// The response body is read into a pooled buffer, capped by WithMaxResponseBytes (default
// DefaultMaxResponseBytes; over it the exchange fails with ReasonTooLarge without reading
// the rest). Hop-by-hop headers are removed from the response. Compression is passed
// through untouched: the client's Accept-Encoding goes to the backend and the encoded body
// comes back as is. The caller owns the Response and calls Release once it no longer needs
// Body; AppendPOKT writes the POKTHTTPResponse encoding (deterministic, header keys sorted)
// straight into the caller's buffer with one copy of the body, for hashing and signing.
//
// DoStream is the same exchange for streamed responses (SSE, NDJSON): it returns once the
// response headers arrive and the caller reads the body incrementally; the backend timeout
// bounds only the wait for the headers.
//
// # Timeouts and retries
//
// The backend timeout bounds the whole exchange, retries included, and so does the caller's
// ctx. An attempt that fails is retried on another endpoint, at most once per endpoint, while
// time remains:
//
//   - ReasonDial (refused, DNS, dial timeout, TLS handshake): the request was never sent;
//     always retried.
//   - ReasonTransport (reset, EOF, protocol error after sending) and a 5xx: retried. A retry
//     re-sends the same body, so a backend may see a request twice.
//   - ReasonTimeout: not retried (the time is gone).
//   - ReasonClientCanceled: never retried, and not counted against the endpoint. The relayer
//     counts it and answers nobody.
//   - ReasonTooLarge: not retried (another endpoint would answer the same).
//
// When the last endpoint also answers 5xx, that 5xx is returned as a Response, not an error:
// the client gets the backend's answer, and the relayer decides (the reference relay miner
// does not mine relays answered 500 or more).
//
// # Selection
//
// round_robin starts at the next index of an atomic counter; first_healthy starts at endpoint
// 0. From there, the first endpoint not yet tried whose health flag is up and whose breaker
// admits the attempt is used. When no endpoint qualifies the pool fails open: it uses the
// first untried endpoint in the same order anyway. Health checks and breakers steer traffic
// away from bad endpoints; they never turn a relay into a refusal on their own, because a
// stale health view refusing everything is worse than an attempt that may fail.
//
// # Health
//
// With health_check configured, Run probes GET <scheme>://<host><path> on every endpoint at
// start and then every interval, one endpoint after the other, each bounded by the check's
// timeout, with the static and auth headers. A 2xx marks the endpoint up, anything else
// (including no answer) marks it down. Endpoints start down, so a pool is unhealthy until its
// first round has passed. Without health_check every endpoint's flag is always up.
//
// # Circuit breaker
//
// Each endpoint has a lock-free breaker. DefaultBreakerFailures consecutive transport failures
// (dial, broken connection, timeout) open it. A 5xx answer is not one: it is about a request a
// client chose, and proves the endpoint reachable. After DefaultBreakerCooldown one attempt is
// let through (half-open); its success closes the breaker, its failure opens it for another
// cool-down. A passing health check, or without health_check a TCP connection the pool tries
// every ReachInterval while the breaker is open, closes it too. Any answer resets the count.
// WithBreaker changes both numbers.
//
// # Healthy
//
// Healthy reports whether at least one endpoint has its health flag up and its breaker closed:
// the cool-down alone is no evidence, so health returns only after a success. The relayer's readiness requires it for every configured backend. Even
// when it is false, Do still tries the endpoints (fail open).
//
// # Metrics and secrets
//
// Metrics carry service, rpc_type and endpoint labels; endpoint is the index of the URL in the
// configuration, never the URL, which may carry an API key. Errors and logs name endpoints the
// same way and strip URLs and addresses from transport errors; header values and credentials
// are never logged.
package backend
