// Package inspect reads everything this project keeps in Redis, for operators: session state,
// trees, relay streams, caches, leases, the relay meter and tx submissions. It backs the
// `pocket-relay-miner redis-debug` commands.
//
// It lives at the top level, beside cmd, rather than under transport: it decodes values with
// the readers of miner, cache and tx, and transport is the layer those are built on, so it may
// not import them (transport's layering test enforces that).
//
// Every key and channel name comes from transport.Keys; key families are recognised by
// matching a key against the constructor's own output with "*" in place of each variable
// part, so a change of the layout changes this package with it. Values are decoded by the
// writers' own readers where they export one (miner.StateStore.Load and Submissions,
// transport.DecodeEntry, the cache codecs).
//
// Everything here is read-only except two explicit writes: Flush (SCAN + UNLINK of keys under
// the prefix) and InvalidateCache (the cache's own Invalidate: DEL of the L2 entry and a
// publication on the invalidation channel). Key enumeration always uses SCAN, on every master
// of a Redis Cluster, never KEYS.
//
// Each command returns a result value with stable JSON field names and a Table method that
// writes the aligned human-readable form, one line per item.
package inspect
