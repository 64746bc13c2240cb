// Package client is a relay client for Pocket Network (Shannon) relay miners: it builds a
// RelayRequest, ring-signs it as an application or as a gateway the application delegates
// to, POSTs it to the supplier's relay miner and verifies the answer. It speaks the protocol
// (PROTOCOL §1–§3), so it drives any relay miner: ours, poktroll's `pocketd relayminer`.
// The `relay` command and its load engine (package load) are built on it; tests use it too.
//
// # Flow of one relay (Client.Do)
//
//  1. Build: RelayRequest{meta: {session header, supplier}, payload}, where the payload is the
//     POKTHTTPRequest serialized once at New (Payload.Marshal), and its signable hash
//     (GetSignableBytesHash: the request marshaled without signature, SHA-256).
//  2. Sign: a ring signature over the hash with relayer/ring's Signer, whose ring (the
//     application, its delegated gateways at the session end height, or the placeholder key
//     when there are none: PROTOCOL §3.1) and tables are prepared once per session.
//  3. Network: POST the marshaled request with `Rpc-Type: <n>` (PROTOCOL §8.4) and read the
//     answer, at most Config.MaxResponseBytes.
//  4. Verify: the answer must be a 200 carrying a RelayResponse without RelayMinerError,
//     for the request's session, whose payload matches payload_hash and whose supplier
//     operator signature verifies with the operator's public key from x/auth
//     (VerifySupplierOperatorSignature). Its payload must decode as a POKTHTTPResponse with
//     a status below 400.
//
// Any other ending is an *Error with a Category (transport, http_status,
// relay_miner_error, signature_invalid, decode, client) and a bounded Code; Classify reads
// them back.
//
// # Sessions
//
// Start fetches the current session of (application, service) and resolves each supplier's
// endpoint (Config.Endpoint, or the URL the supplier staked for the transport's rpc type)
// and operator key. Watch polls the chain height (query Status) and, once it passes the
// session's end, loads the session that contains the new height; relays already built keep
// the old header, which relay miners accept during the grace period. This is what lets a
// load test run across session boundaries. A relay miner that follows blocks a little behind
// the node may refuse the new session for a moment (relay_authenticator/1): for
// PreviousSessionWindow after a switch such a relay is sent again, once, in the previous
// session, which it still accepts. With no Config.Supplier, relays go to the session's
// suppliers in turn.
//
// # Transports
//
// jsonrpc, rest and cometbft relays are one POST and one answer. grpc relays are the same
// with Rpc-Type 1 and a gRPC call as payload (GRPCFrame); a grpc-status other than 0 is a
// grpc_status error. stream relays ask for SSE or NDJSON and read the answer frame by frame
// (FrameReader), verifying every frame and the mined-response trailer. websocket relays are
// frames on pooled connections (websocket.go), each answered by Config.Expect signed
// responses; connections closed by the relay miner at a session's claim window are dialed
// again.
//
// # Keys
//
// The signing key comes from hex (KeyFromHex), a file holding that hex which only its owner may
// access (KeyFromFile, which refuses a file open to group or others, as ssh does), or a
// cosmos-sdk keyring record (KeyFromKeyring; the file backend's passphrase comes from
// KeyringOptions.Passphrase, else from stdin). It must be the application's or a delegated
// gateway's, else Start fails naming the address. Key material and passphrases never appear in
// output or errors.
package client
