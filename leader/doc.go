// Package leader holds Redis leases with fencing tokens: one global leader for singleton duties
// (an Election) and per-supplier ownership spread evenly over the live miner replicas (an
// Ownership).
//
// # Lease protocol
//
// A lease is one string key whose value is "<holder>#<token>" and whose TTL is the lease ttl.
//
//   - Acquire (acquire.lua): if the key exists the lease is held; otherwise INCR the lease's
//     fencing counter (the key + ":fence", transport.Keys.FencingCounter) and SET key value NX PX
//     ttl, in one script. A token is spent only on a successful acquisition, so the tokens of
//     successive holdings of a key strictly increase. The counter never expires: it must keep
//     counting across holdings.
//   - Renew (renew.lua): for every key, PEXPIRE it if it still carries this holding's value.
//     The answer per key is renewed, gone (expired) or held by someone else (stolen).
//   - Release (release.lua): DEL each key that still carries this holding's value.
//
// Only the holder can renew or release, because only it knows the value. TryAcquire, Renew
// and Release expose the primitives; Election and Ownership drive them.
//
// # Fencing
//
// A lease alone cannot stop a holder that was paused (GC, a hung Redis call, a frozen VM) from
// writing after its lease moved on. Every holding therefore comes with a Fence (key, value,
// token), and writes that must not come from a stale holder check it in the same atomic step:
//
//   - Lua: NewFencedScript(body) prefixes FencePreamble, which fails the script with a
//     "LEASELOST" error unless GET(KEYS[1]) still equals ARGV[1]; the body's own keys start at
//     KEYS[2], its arguments at ARGV[2]. FencedScript.Run maps the refusal to ErrLeaseLost.
//     Callers with their own scripts may embed FencePreamble and test errors with IsFenceError.
//   - MULTI/EXEC: Fence.Tx WATCHes the lease key, checks the value and queues the caller's
//     commands; EXEC fails if the lease changed in between.
//
// Fence.Token lets a downstream store that cannot run the check compare tokens instead.
//
// # Failover bound
//
// A holder keeps the send time of its last successful renewal (or acquisition), lastRenew. The
// key cannot expire before lastRenew + ttl. The holder demotes itself (cancels the holding's
// context, counts reason redis_error) at lastRenew + ttl − ttl/5, enforced by a timer in the
// loop that owns all state while Redis I/O runs on a separate goroutine, so neither an error
// nor a hung call can keep it working past that point. A transient Redis error or an outage
// shorter than that budget therefore demotes nobody.
//
// A contender tries every renew period. After a crash the lease expires at most ttl after the
// crash, and the next try follows within one period: failover takes at most ttl + renewEvery
// (plus one round trip). The tests measure about 600 ms for ttl 500 ms and renewEvery 100 ms,
// with the crashed holder standing down ~400 ms after the crash, before the lease could expire.
// A graceful stop releases the lease, and the next contender takes it at its next try.
//
// renewEvery must be at most ttl/2 so that at least one retry fits before the demotion. The
// Redis client's ReadTimeout should be well below the ttl: a renewal that is still waiting for
// a reply when the deadline passes cannot help, and shutdown waits for it to return.
//
// # Ownership and rebalancing
//
// Every replica, once per renew period and in this order: renews all its leases; heartbeats
// (heartbeat.lua: ZADD of its id into transport.Keys.MinerReplicas scored by the Redis server's
// clock, so replicas with skewed clocks agree, pruning members silent for longer than the ttl,
// and reading the live set); releases leases whose work has stopped; and tries to acquire the
// leases it wants but does not hold.
//
// What it wants is its share of a deterministic assignment of all suppliers to the live
// replicas: bounded-load rendezvous hashing. Every (supplier, replica) pair gets a hash
// weight; pairs are placed best first, each supplier to the first replica with fewer than
// ceil(N/R) suppliers. All replicas compute the same assignment from the same view, and a
// change of membership moves few suppliers. When a replica joins, the others see it in their
// next heartbeat, give up the suppliers that now belong to it and it picks them up as they
// are released. When a replica leaves (it removes itself from the set) or dies (its heartbeat
// ages out after ttl), its suppliers return to the others, which acquire them as soon as the
// leases are free: at once after a graceful leave, at expiry after a crash. Every replica
// must be given the same supplier set (SetSuppliers); a supplier missing from the set of the
// replica it is assigned to stays unowned.
//
// Two replicas never hold one lease (SET NX), and a replica never runs a supplier after its
// lease could have expired (the demotion deadline). A lease given up voluntarily is kept and
// renewed until Owner.Lost has returned, and only then released, so the next owner never
// starts before the previous one has stopped. After an involuntary loss the new owner may
// start while the old one is still stopping; the fence rejects the old one's writes.
//
// # Redis Cluster
//
// A script may only touch keys of one hash slot. The lease key and its counter share a slot
// because the counter appends to the lease key: per-supplier leases carry the supplier's
// {operator} hash tag, and the global lease must carry a tag too (transport.Keys.LeaderLease;
// NewElection refuses a key whose counter lands in another slot). Fenced writes may touch the
// supplier's own keys (same tag) in the same script as the check.
//
// Renewal is one script per round on standalone and Sentinel: a single EVALSHA carries every
// lease of the replica. On Cluster the leases of different suppliers live in different slots,
// so the engine groups them by slot (CRC16 of the hash tag, computed here and checked against
// CLUSTER KEYSLOT in the tests) and sends one script per slot group, all in one pipeline that
// go-redis splits per node: one round trip per node per round, never one per lease in
// sequence. Scripts are loaded on demand (EVALSHA, then SCRIPT LOAD on every master and a
// retry after NOSCRIPT).
//
// # What callers must do
//
//   - Give every process a unique, stable holder / replica id.
//   - Election: lead(leaderCtx, token) must stop promptly when leaderCtx is cancelled and
//     guard its shared writes with Election.Fence.
//   - Ownership: Owner.Acquired must return at once (start the supplier's worker);
//     Owner.Lost must return only when nothing of that supplier runs any more. Writes of a
//     supplier's state go through FencedScript or Fence.Tx with the fence from Acquired.
//   - Run(ctx) returns after every goroutine it started has exited. Cancelling ctx stops all
//     work (renewing meanwhile), releases the leases (best effort) and leaves the replica set.
//     Redis errors never end Run or the process; they are logged and counted.
//
// # Metrics
//
// relayminer_leader_is_leader, relayminer_lease_owned_suppliers,
// relayminer_lease_acquired_total{kind}, relayminer_lease_lost_total{kind,reason},
// relayminer_lease_renew_duration_seconds{kind}, relayminer_lease_renew_errors_total{kind};
// kind is global or supplier, reason expired, stolen, released or redis_error. An Election and
// an Ownership given the same registerer share the collectors.
package leader
