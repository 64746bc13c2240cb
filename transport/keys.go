package transport

import (
	"fmt"
	"strings"
)

// LayoutVersion is the version of the Redis key layout. It is part of every key so that a
// future incompatible layout can run beside this one during a migration.
const LayoutVersion = "v1"

// DefaultPrefix is the key prefix when the config names none.
const DefaultPrefix = "prm"

// ConsumerGroup is the consumer group every miner joins on every supplier stream.
const ConsumerGroup = "miners"

// Keys builds every Redis key and pub/sub channel name. The zero value is not usable; use
// NewKeys.
type Keys struct {
	base string // "<prefix>:v1"
}

// NewKeys returns the layout under prefix (DefaultPrefix when empty). A prefix must not contain
// braces, which would break hash tags, or whitespace.
func NewKeys(prefix string) (Keys, error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if strings.ContainsAny(prefix, "{} \t\r\n") {
		return Keys{}, fmt.Errorf("redis key prefix %q: must not contain braces or whitespace", prefix)
	}
	return Keys{base: prefix + ":" + LayoutVersion}, nil
}

// MustKeys is NewKeys for prefixes known to be valid (constants and tests).
func MustKeys(prefix string) Keys {
	k, err := NewKeys(prefix)
	if err != nil {
		panic(err)
	}
	return k
}

// Prefix returns "<prefix>:v1", the start of every key, for SCAN patterns.
func (k Keys) Prefix() string { return k.base }

// supplier returns "<prefix>:v1:{<operator>}", the hash-tagged root of one supplier's keys.
func (k Keys) supplier(operator string) string {
	return k.base + ":{" + operator + "}"
}

// RelayStream is the Redis Stream of mined relays for one supplier. Relayers XADD to it, the
// owning miner reads it with XREADGROUP in ConsumerGroup. Live streams never expire; they are
// trimmed by MINID once their sessions are settled.
func (k Keys) RelayStream(operator string) string {
	return k.supplier(operator) + ":relays"
}

// TreeNodes is the hash holding the SMST nodes of one (supplier, session).
func (k Keys) TreeNodes(operator, sessionID string) string {
	return k.supplier(operator) + ":smst:" + sessionID + ":nodes"
}

// TreeMeta is the hash holding the committed root, count and sum of one (supplier, session)
// tree, written in the same transaction as the nodes.
func (k Keys) TreeMeta(operator, sessionID string) string {
	return k.supplier(operator) + ":smst:" + sessionID + ":meta"
}

// Session is the hash with the persisted lifecycle state of one (supplier, session).
func (k Keys) Session(operator, sessionID string) string {
	return k.supplier(operator) + ":session:" + sessionID
}

// SessionIndex is the sorted set of one supplier's session ids scored by session end height.
func (k Keys) SessionIndex(operator string) string {
	return k.supplier(operator) + ":sessions"
}

// Submissions is the list of claim and proof tx submissions of one supplier, newest first.
func (k Keys) Submissions(operator string) string {
	return k.supplier(operator) + ":submissions"
}

// Meter is the relay-meter budget and consumption of one (supplier, session).
func (k Keys) Meter(operator, sessionID string) string {
	return k.supplier(operator) + ":meter:" + sessionID
}

// SupplierLease is the ownership lease of one supplier among the miner replicas.
func (k Keys) SupplierLease(operator string) string {
	return k.supplier(operator) + ":lease"
}

// LeaderLease is the lease of the singleton duty named duty (for example "global") among the
// miners; "global" is the global leader (singleton duties such as cache refresh). The duty is
// the key's hash tag, so the lease, its FencingCounter and any key written under the same tag
// share one Cluster slot, and a fenced Lua script may touch them together.
func (k Keys) LeaderLease(duty string) string { return k.base + ":{leader:" + duty + "}:lease" }

// FencingCounter is the counter that hands out monotonically increasing fencing tokens for the
// lease named name (a key returned by LeaderLease or SupplierLease).
func (k Keys) FencingCounter(leaseKey string) string { return leaseKey + ":fence" }

// MinerReplicas is the sorted set of live miner replica ids scored by their last heartbeat.
func (k Keys) MinerReplicas() string { return k.base + ":miners" }

// CacheEntry is the L2 cache entry of kind (for example "session") and key.
func (k Keys) CacheEntry(kind, key string) string { return k.base + ":cache:" + kind + ":" + key }

// CacheLock is the short cross-process lock that makes one process fetch a missing entry.
func (k Keys) CacheLock(kind, key string) string {
	return k.base + ":cache-lock:" + kind + ":" + key
}

// CacheInvalidateChannel is the pub/sub channel on which L1 invalidations are announced.
func (k Keys) CacheInvalidateChannel() string { return k.base + ":chan:cache-invalidate" }

// BlocksChannel is the pub/sub channel on which block headers are published.
func (k Keys) BlocksChannel() string { return k.base + ":chan:blocks" }

// CacheLiveKeys is the sorted set of the keys of a live cache kind that readers used, scored
// by the unix milliseconds of their last load. The global leader refreshes its members on new
// blocks and drops the ones nobody loaded for a while.
func (k Keys) CacheLiveKeys(kind string) string { return k.base + ":cache-live:" + kind }
