// Package query is the typed, uncached way to ask the chain something.
//
// A Client talks to a pocketd full node over two interfaces: the Cosmos gRPC query services
// (port 9090) for protocol state — sessions, shared params (live and at a height), applications,
// suppliers, services with their compute units per relay and relay mining difficulty at a
// height, proof params and claims, auth accounts and bank balances — and the CometBFT RPC
// (port 26657, HTTP JSON) for block headers, node status and ABCI info. Package cache puts the
// L1/L2 tiers in front of it; nothing here caches.
//
// # At-height answers
// Shared params, CUPR and difficulty at a height also return the committed height of the node
// state that answered (the x-cosmos-block-height header a Cosmos node sets on every gRPC
// answer; 0 when absent). For a height the chain has not reached the answer is what the node
// knows today and can still change; package cache uses the state height to tell.
//
// # Calls
// Every call has a per-attempt timeout (Config.Timeout). An attempt that fails with a
// transient error — gRPC Unavailable, DeadlineExceeded, ResourceExhausted or Aborted, a
// connection error, an HTTP 5xx or 429 from the RPC, or a session asked for a height the node
// has not committed yet — is retried up to Config.MaxRetries times, waiting an exponentially
// growing, fully jittered backoff between attempts. Anything else is returned at once. The
// caller's context bounds the whole call, retries included.
//
// # Errors
// Errors are wrapped with the method name ("application: not found: rpc error: …") and
// classified, so callers branch with errors.Is:
//
//   - ErrNotFound: the chain answered that the thing does not exist (gRPC NotFound, poktroll's
//     "application/supplier/claim/service not found" errors, a session whose application or
//     suppliers are absent at that height, a block height the node does not have).
//   - ErrTransient: retrying later may succeed; returned after the retries ran out.
//   - ErrInvalid: the request was refused as malformed (gRPC InvalidArgument, OutOfRange,
//     FailedPrecondition, a JSON-RPC error) or the answer could not be decoded.
//
// An error that is none of these (for example gRPC Internal or Unimplemented) carries only the
// method name. A canceled caller context is returned as the context's error, never as
// ErrTransient.
//
// # Metrics
// relayminer_chain_query_duration_seconds{method,outcome} observes every call, retries
// included. method is one of the Method constants, outcome one of ok, not_found, invalid,
// transient, error, canceled.
//
// # Lifecycle
// New validates the config and builds the clients; it does no I/O (the gRPC connection is
// established lazily on the first call). Close releases the connection.
package query
