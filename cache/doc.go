// Package cache is the read-through cache of chain data every relayer and miner reads on the
// hot path, and (in cache/blocks) the block feed that drives it.
//
// # Tiers
//
//	L1  in process: an xsync map per kind, a TTL per entry and a size bound (random eviction).
//	    A fresh hit costs one map lookup: no Redis, no chain, no allocation.
//	L2  Redis: the value's protobuf bytes (gogoproto Marshal of the poktroll type) under
//	    CacheEntry(kind, key), written with a TTL. Shared by every process.
//	L3  the chain: the Load func of the kind, a query.Client call.
//
// A lookup that misses L1 is filled once per process (singleflight). The filler reads L2; on
// a miss it takes a short fleet-wide lock (SET CacheLock(kind, key) NX PX, released by a
// compare-and-delete script) and loads from the chain, so one miss costs one chain query in
// the whole fleet. Processes that lose the lock poll L2 (and retry the lock) until the
// winner's write appears; if the holder died the lock expires after LockTTL and the next
// poller loads, and if the holder is slow a loser loads itself after LockWait. When Redis is
// unreachable the filler loads from the chain directly.
//
// # What is never cached
// Errors, and values Validate refuses: a session without suppliers, an application without
// stake or service configs, a supplier without services (the incumbent once cached a supplier
// with zero services after a transient error and refused it forever), a zero CUPR, an empty
// difficulty target, an account without a public key (ErrNoPubKey). They are returned to the
// caller, counted in relayminer_cache_errors_total, and the next lookup asks again.
//
// # Fixed and live data
// Data fixed by its key is immutable: shared params at a height, CUPR and difficulty at a
// height, a session by (application, service, session start height), the ring keys of an
// application at a session end, an account's public key. It is never refreshed; default TTLs
// are 1h in L1 and 24h in L2.
//
// A height is fixed only once the chain can no longer change what it answers for it. poktroll
// records a change of shared params, CUPR or difficulty at the start of the session after the
// block that executes it, and answers a height it has no history for with what it knows today.
// So an answer for a height whose session has not started by the block after the answering
// node's state (the x-cosmos-block-height of the answer) is served to the callers of that fill
// and stored in no tier (relayminer_cache_not_final_loads_total); the next lookup asks again,
// and once the session is near, the answer is cached like any other (final.go).
//
// Live data (applications: stake, delegations; suppliers: stake, services) is refreshed on new
// blocks by the global leader only: the Refresher reloads every live key some process loaded
// within LiveKeyIdle (readers record their keys in the sorted set CacheLiveKeys(kind)), and
// for each value that changed rewrites L2, updates its own L1 and publishes an invalidation.
// Default TTLs are 30s in L1 (the bound on staleness if an invalidation is lost) and 5m in L2.
// An expired live value is served to every reader while one caller refreshes it; when the
// refresh fails the last good value is served (relayminer_cache_stale_serves_total) for
// StaleRetry before one caller tries again. Nobody queues behind a failing chain.
//
// # Invalidation
// Invalidate deletes the L2 entry and publishes "origin\nkind\nkey" on
// CacheInvalidateChannel(); every Hub drops (fixed kinds) or marks stale (live kinds) its L1
// entry. Pub/sub is at-most-once: a message lost while a subscriber reconnects is covered by
// the L1 TTL.
//
// # Redis
// Every command touches one key, so the cache works unchanged on Redis Cluster: GET/SET PX of
// entries, SET NX PX and a one-key script for the lock, ZADD/ZRANGE/ZREM of the live set,
// PUBLISH/SUBSCRIBE of the channel.
//
// # Metrics
// relayminer_cache_hits_total{kind,tier} (tier l1, l1_stale, l2),
// relayminer_cache_misses_total{kind}, relayminer_cache_stale_serves_total{kind},
// relayminer_cache_errors_total{kind}, relayminer_cache_not_final_loads_total{kind}; the
// chain latency is query's relayminer_chain_query_duration_seconds{method,outcome}. kind is one of the Kind constants.
//
// # Lifecycle
// NewHub, New and NewChain do no I/O. Hub.Run holds the invalidation subscription and returns
// when its context ends; Refresher.Run likewise. Values returned by a cache are shared by all
// callers and must not be modified.
package cache
