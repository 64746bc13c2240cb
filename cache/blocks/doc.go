// Package blocks is the block feed: it delivers every committed block (height, CometBFT block
// hash, time) to in-process consumers, in order, each height once, and survives the loss of
// any single source.
//
// # Sources
// An Own feed (every miner runs one) subscribes to tm.event='NewBlockHeader' on the node's
// websocket, reconnecting with jittered exponential backoff. The event carries the header but
// not the block hash; the hash is computed from the header (header.Hash(), the Merkle root
// CometBFT uses as BlockID.Hash), and a header that cannot be decoded in full is fetched by
// height instead. While the websocket has delivered nothing for StaleAfter (3 × BlockTime) the
// feed polls /status every PollInterval. Every delivered block is published on Redis
// (transport.Keys.BlocksChannel, "<height> <hash hex> <unix ns>").
//
// A Follow feed (every relayer runs one) reads that channel, which every miner feeds, so no
// process is the only source of blocks. When the channel has been silent for RedisSilence
// (3 × BlockTime) the feed follows the node itself, websocket and polling, until Redis speaks
// again.
//
// # Order and gaps
// Announcements from all sources only raise a target height. One sequencer goroutine delivers
// last+1 … target in order, fetching the heights nobody announced with /blockchain (header
// data only, 20 per call) and retrying with backoff; duplicates and old heights are dropped.
// The first block a feed delivers is the chain head, not genesis. A gap wider than MaxGap
// skips its oldest heights (counted).
//
// # Subscribers
// Delivery never blocks the feed or another subscriber. A default subscription holds only the
// newest block (capacity 1): a slow consumer skips intermediate heights and always reads the
// latest one — right for "what is the current height". A subscription with Every queues up to
// Queue blocks in order — right for consumers that act at specific heights; if it overflows
// the oldest queued block is dropped, counted in Dropped and in
// relayminer_block_subscriber_dropped_total{mode}, and the consumer sees the jump in heights.
//
// # Metrics
// relayminer_block_height, relayminer_block_source_reconnects_total{source}
// (source websocket, poll, redis), relayminer_block_announcements_total{source},
// relayminer_block_gaps_filled_total, relayminer_block_heights_skipped_total,
// relayminer_block_subscriber_dropped_total{mode}.
//
// # Lifecycle
// New does no I/O. Run returns nil when its context ends, after every goroutine it started
// has returned.
package blocks
