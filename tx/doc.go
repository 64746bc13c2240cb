// Package tx gets claims, proofs and other messages onto the chain and says truthfully whether
// they landed.
//
// A Client builds a Cosmos SDK protobuf tx, signs it in SIGN_MODE_DIRECT with the signer's key
// (the supplier operator key for claims and proofs), broadcasts it synchronously and then
// confirms its inclusion by looking the hash up until it is found in a block. The miner drives
// it: one Submit or SubmitBatch per claim or proof group, with the window close as the
// timeout height.
//
// # Building and signing
// The body carries the messages, the optional memo and the caller's timeout height (the claim
// or proof window close); the auth info carries the signer's public key, its sequence, the gas
// limit and the fee. The signature covers SignDoc{body, auth info, chain id, account number},
// exactly what the chain's direct sign-mode handler rebuilds. Gas is config.Tx.GasLimit when
// set, otherwise the gas an unsigned copy of the tx used in the node's Simulate, times
// GasAdjustment, rounded up. The fee is config.Tx.Fees when set, otherwise ceil(gas × price)
// for each of GasPrices.
//
// # Sequences
// Each signer's account number and next sequence are fetched from x/auth once and then kept
// locally: a tx accepted by CheckTx advances the local sequence, so several txs of one signer
// can enter the same block without waiting for each other (Broadcast returns once CheckTx
// accepted; Confirm waits separately). The signer's lock is held from choosing the sequence
// until CheckTx answers, so the node sees sequences in order. A sequence mismatch (sdk code
// 32) adopts the sequence the chain says it expects — or refetches the account — and retries.
// A tx that never lands makes the next tx of that signer refetch, because the mempool may
// have dropped a sequence the local count already spent.
//
// Txs are ordered, not unordered. Unordered txs (enabled on Pocket) would need a unique
// timeout timestamp per tx, are limited to a short time-to-live, and are deduplicated by hash
// only, while the reference relay miner, the chain's own tooling and its operators' tx
// tracking all assume ordered txs; one supplier sends a handful of txs per session, which the
// local sequence serves without contention.
//
// # Retries
// Transient failures are retried with exponential, jittered backoff (no sleeping: a timer and
// the context) up to a bounded number of attempts: a sequence mismatch, a full mempool, and a
// node that did not answer. A broadcast that got no answer is re-sent byte for byte, never
// re-signed, so the node either reports it is already in the mempool (treated as accepted) or
// takes it once. Anything else the chain refuses is returned at once as a *ChainError carrying
// the stage (simulate, check, deliver), the ABCI code and the raw log. A timeout height the
// chain already passed is ErrTimeout.
//
// # Confirmation
// Acceptance into the mempool is not success, and not being found yet is not failure. Confirm
// polls the node for the hash until the tx is found, or the chain has passed the tx's timeout
// height without it (checked twice, so a lagging tx indexer cannot fake a timeout): ErrTimeout,
// the tx can no longer land. When the wait ends first — config.Tx.ConfirmTimeout, or by default
// the time the chain needs to pass the timeout height at WithBlockTime's block time, twice over
// — the answer is ErrUnconfirmed: the tx may still land, and SubmitBatch reports its messages
// MessagePending with the tx's hash. So is a tx whose broadcast got no answer when the Client
// gave up on it (the node may hold it). The caller decides such a tx later with Lookup, and
// must not re-send its messages while it can still land. Only an included tx with code 0 is a
// success; its Result carries the height, gas used and events.
//
// # Batches
// SubmitBatch never lets one bad message sink the rest, and never re-sends a refused tx as is.
// When Simulate, CheckTx or delivery fails the tx naming "message index: N", message N is
// recorded as failed with the chain's log and dropped; the remaining messages are re-signed
// into a new tx with a new sequence and sent again, until a tx is included, none remain, or
// the window closes. A failure not tied to one message (fees, out of gas, a passed timeout
// height) fails every remaining message. The returned Submission lists every tx and every
// message's fate (included, failed with a reason, pending, not attempted) for the miner to persist.
//
// Note that Simulate runs at the node's current state: a message that is only valid from the
// next block on (a claim sent before its window opens) fails there and is dropped. Send a
// claim or proof only once its window is open, as the reference miner does.
//
// # Metrics
// relayminer_tx_submitted_total{kind,outcome} counts every tx once it ends (kind is claim,
// proof or other; outcome included, failed, timeout or unconfirmed; a tx whose caller gave up
// is not counted); relayminer_tx_gas_used{kind} and relayminer_tx_confirm_duration_seconds{kind}
// observe included txs.
//
// # Node
// The Client talks to a Node: GRPCNode uses the Cosmos gRPC services (tx Simulate,
// BroadcastTx, GetTx; node Status for the height), which need the node's tx indexer (on by
// default). Accounts come from an AccountQuerier, *query.Client.
package tx
