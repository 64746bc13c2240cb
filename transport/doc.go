// Package transport carries relays from relayers to miners through Redis, and owns the one
// Redis key layout every component uses.
//
// # Key layout
// Every Redis key and channel name is built by Keys, never by hand elsewhere, so the layout is
// one versioned wire format (documented in the README). Keys that belong to one supplier embed
// the supplier's operator address as the Redis Cluster hash tag `{pokt1…}`, which puts all of a
// supplier's state in one slot: a miner's MULTI/EXEC that writes tree nodes, the new root and
// the XACK of the applied stream entries is therefore legal on Redis Cluster.
//
// # Connections
// NewClient builds a go-redis UniversalClient from one URL, so standalone, Sentinel and Cluster
// deployments are a config change, not a code change.
package transport
