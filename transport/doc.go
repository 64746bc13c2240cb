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
// # Relay messages
// A relayer publishes each served, reward-applicable relay as one Message in one stream entry
// (field MessageField, "m") of its supplier's stream, Keys.RelayStream. The message is a
// versioned binary format, specified byte for byte in FORMAT.md beside this file: a version
// byte, the relay hash, CUPR, the session heights, four length-prefixed strings (supplier,
// application, service id, session id) and the dehydrated relay bytes last.
//
//	m := transport.Message{Relay: relayBz, RelayHash: transport.HashRelay(relayBz), …}
//	pub := transport.NewPublisher(rdb, keys)
//	err := pub.Publish(ctx, &m)                    // one XADD
//	failed, err := pub.PublishBatch(ctx, msgs)     // one pipeline; failed are to be retried
//
// The miner side:
//
//	transport.EnsureGroup(ctx, rdb, keys.RelayStream(op)) // XGROUP CREATE … MKSTREAM, idempotent
//	m, err := transport.DecodeEntry(entry)                // errors wrap ErrMalformedMessage
//
// Publisher never trims a stream and never gives it a TTL. Decode never panics and rejects
// truncated, trailing, oversized and unknown-version input; DecodeEntry also checks the hash.
//
// # Connections
// NewClient builds a go-redis UniversalClient from one URL, so standalone, Sentinel and Cluster
// deployments are a config change, not a code change.
package transport
