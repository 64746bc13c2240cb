// Package miner turns the relays in a supplier's stream into session trees, and from them into
// claims and proofs on chain.
//
// # Session trees
//
// A Tree is the sparse Merkle sum trie of one (supplier, session) with the protocol's spec
// (smt.NewSparseMerkleSumTrie over SHA-256 with a nil value hasher): key = relay hash, value =
// dehydrated relay bytes, weight = compute units per relay at the session start. Its root is 48
// bytes, digest || sum || count. Each tree lives in Redis under the supplier's {operator} hash
// tag, so the trees of two suppliers in one session never share a key:
//
//   - transport.Keys.TreeNodes: HASH, field = 48-byte node digest, value = node encoding.
//   - transport.Keys.TreeMeta: HASH with root (48 bytes), count, sum, cupr, and the session
//     header fields app, service, start, end.
//
// The owning replica keeps the tree in memory: the trie holds every node it has built or
// resolved, and its store (nodeStore) only buffers the nodes written and orphaned since the last
// batch was taken for its commit. A batch therefore costs no Redis round trip until it is
// committed; its commit writes the new nodes and deletes the orphaned ones, so the hash holds the
// live trie. The consumer of a replica that takes over a supplier opens each tree it mines from
// its committed root (ImportSparseMerkleSumTrie) and loads the nodes reachable from that root,
// one pipelined HMGET per trie level. OpenTree, used to claim and prove a sealed tree, is lazy:
// it reads only the meta, then the nodes a proof visits one HGET each, and loads the whole trie
// only after lazyGets of them.
//
// Memory per tree is about count × (relay bytes + 250 B): every leaf holds its relay (the value
// hasher is nil), plus one inner node per leaf. A tree resumed from Redis also keeps the raw
// encodings of its live nodes, up to twice that. Seal hands a tree to the session lifecycle and the
// consumer forgets it; Tree.Close drops the memory, Tree.Delete also the Redis keys.
//
// # Consumption
//
// A Consumer mines one supplier while this replica holds the supplier's lease. StartWorker runs
// it; Worker.Stop cancels it and waits. Run starts exactly two goroutines and waits for both:
//
//   - consume: XREADGROUP GROUP miners <consumer> COUNT <batch> BLOCK <timeout> on the
//     supplier's stream. It first replays this consumer's own pending entries (id 0), then reads
//     new ones (>). The consumer name is the replica id: a restarted replica resumes its own
//     pending entries at once; a dead one's are reclaimed.
//     After a read that did not fill a batch it waits ConsumerConfig.Linger (config
//     consumer.linger, 100ms) before the next read, so a steady trickle of relays is applied
//     in batches: a batch costs the same round trips and Redis commands for 1 entry or 1000.
//   - reclaim: on a ticker, in its own goroutine so a blocking read never delays it,
//     XAUTOCLAIM takes over entries pending longer than ReclaimMinIdle for any consumer (a dead
//     replica, or this one after a failed batch). It also measures the stream lag.
//
// Both feed one apply path under one lock: decode each entry, route its relay to its session's
// tree, insert it, then commit the batch. The commit is pipelined: a batch's transaction runs in
// its own goroutine (a flight) while the next batch is read and applied, so the tree work of
// batch n+1 (CPU here) overlaps the EXEC of batch n (CPU in redis-server). At most one flight is
// open; batch n+1's transaction is sent only after batch n's landed, and a batch that finds the
// flight failed is dropped with it. An empty read, Seal and the end of Run land the open flight.
//
// # Invariants
//
// A stream entry is acknowledged only in the same MULTI/EXEC that writes its effect: for every
// tree the batch changed, its new and orphaned nodes and its new root, count and sum, plus the
// XACK of exactly the entries of the batch. The transaction is fenced (leader.Fence.Tx): it runs
// only while the commit's lease holding is current, so a stale owner's commit fails with
// leader.ErrLeaseLost, writes nothing and leaves its entries pending for the new owner. A crash
// at any instant therefore loses no acknowledged relay, and after a failed batch the consumer
// drops every tree that is ahead of Redis (touched by the failed batch or by the batch applied
// on top of it while it was in flight; the next use reloads their committed state) and replays
// its pending entries. Redis thus only ever holds the effect of a prefix of whole batches.
//
// The relay hash is the leaf key and Insert checks it first against the tree's in-memory set of
// relay paths (built from the loaded leaves when a tree is resumed; the trie is asked only when
// that set could not be built): an entry applied twice (replayed after a crash between commit
// and the end of a read, or reclaimed while its reader lived) is acknowledged and changes
// nothing.
//
// Entries that can never be inserted are acknowledged in their batch and counted: malformed
// (does not decode), wrong_supplier (names another supplier than its stream's), late (the
// SessionGate refused the session: its tree is sealed for claiming) and cupr_mismatch (a
// weight different from its tree's, which would break sum = count × CUPR). They never block
// the stream.
//
// # Cleanup and bounds
//
// Live relay streams never expire; they are trimmed. Every other key of a session has a TTL,
// and the trees and stream entries of final sessions are deleted:
//
//   - Tree keys. Every commit gives TreeNodes and TreeMeta an expiry with EXPIRE NX then GT (set
//     when there is none, otherwise only extended): ConsumerConfig.TreeTTL, which the miner sets
//     to TreeTTLBound, (1 + 4 + sessions.state_ttl_sessions) session lengths of block time. The
//     consumer knows neither the windows nor the height, but a relay is committed at or after its
//     session start, so that reaches four session lengths past the session end for the grace
//     period and the claim and proof windows, plus the state TTL. Once the windows are known,
//     StateStore.Save sets the session record's exact TTL (proof window close + state TTL) on the
//     tree keys too, in its fenced transaction, while the tree is not deleted. The lifecycle
//     still deletes the tree explicitly (fenced) as soon as the session no longer needs it; the
//     TTL only bounds a tree orphaned by a crash or a bug.
//   - Session state. Session records, the session index and the submissions list carry the
//     state TTL (StateStore).
//   - Relay streams. Each tree commits, in the transaction that acknowledges its entries, the
//     smallest stream id it applied (TreeMeta field "first"); a tree loaded by a new owner keeps
//     it. After every block the supplier's worker (the lease holder; the XTRIM runs in a
//     transaction fenced by the lease) trims the stream with exact XTRIM MINID to the smallest
//     of: the group's last-delivered-id + 1 (unread entries), the smallest pending id of the
//     group (XPENDING: entries a live or dead consumer has not acknowledged), and the first id
//     of every session the lifecycle tracks or the gate saw that is not final with its tree
//     deleted. The group is read before the sessions, so an entry acknowledged meanwhile is
//     already in its tree's first id. If such a session's tree is gone and its first id was not
//     learnt before (a takeover while it waits, proved, for settlement), that round trims
//     nothing. Entries acknowledged without a tree (rejected) are not kept.
//
// Memory is bounded per supplier: the consumer holds only the trees of sessions still taking
// relays (Seal hands a tree over, the lifecycle drops it once claimed and proved), the
// lifecycle forgets final sessions one session length after their proof window, and the stream
// holds only the entries of sessions not yet final plus unread and pending ones.
//
// # Leaving suppliers and fees
//
// Discovery keeps a supplier owned while the chain has work for it or its session records in
// Redis (StateStore.Unsettled) hold a session neither final nor past its proof window, so an
// unstaking supplier's last sessions are claimed and proved whichever replica owns it next.
// Before each claim tx the Runner charges every session a claim and its proof (gas from
// FeeEstimate, plus proof_submission_fee) against the operator's balance, most rewarding first
// as poktroll does; the rest are skipped (insufficient_funds) and never sent.
//
// # Claims and proofs in flight
//
// A send is persisted (InFlight) before its tx, and its outcome after. Only a tx the chain
// refused before the mempool, or failed in its block, frees the message for another send. A tx
// that reached the node but was not found in a block (tx.MessagePending, or a timeout the tx
// client reported) stays in flight with its hash (Session.TxHash), and every block looks it up:
// the tx by hash, then the claim (a proof: its claim's proof_validation_status, because x/proof
// deletes a proof in the EndBlocker of the block it lands in). While the chain is below the tx's
// timeout height (the window close) a tx found nowhere is still pending and nothing is re-sent.
//
// Sends do not block the block loop: each claim or proof tx of a session group (one end
// height) runs in a goroutine of its own, at most one per (end height, kind), and hands its
// outcome back to the Runner, which applies it on its own goroutine at the next block
// (lifecycle_send.go). A hanging tx holds up only its own group; Runner.Close cancels the sends
// still running and waits for them. The hash of a tx that reached the node is persisted at the
// next block even while it is unconfirmed (tx.Options.OnBroadcast), so a new owner looks it up.
//
// # What callers must do
//
//   - Give each Consumer the fence of the current lease holding, and run it under a context
//     that is cancelled when the lease is lost; call Worker.Stop before releasing the lease.
//   - Seal a session only when it is claimed: Seal applies what the stream holds, then closes
//     the session in the SessionGate (Close), under the consumer's lock.
//   - Keep BlockTimeout short: a cancelled Run returns after the current read returns.
//
// # Metrics
//
// relayminer_miner_relays_applied_total{supplier}, relayminer_miner_relays_duplicate_total{supplier},
// relayminer_miner_relays_rejected_total{supplier,reason}, relayminer_miner_batch_size,
// relayminer_miner_batch_duration_seconds, relayminer_miner_stream_lag{supplier} (undelivered
// plus pending entries, measured every LagEvery), relayminer_miner_trees_open{supplier} and
// relayminer_miner_stream_trimmed_total{supplier} (entries removed by XTRIM MINID);
// relayminer_miner_operator_balance_upokt{supplier} and relayminer_miner_supplier_stake_upokt{supplier}
// (refreshed by discovery every round).
// Counters move only when a batch commits, so a replayed batch is counted once.
package miner
