// Package publish hands served relays to the miners: a bounded in-memory backlog in front of
// transport.Publisher, drained by a few workers in pipelined XADD batches.
//
// # API
//
//	pub := transport.NewPublisher(rdb, keys)
//	b, err := publish.New(pub, cfg.Publish, log, reg)   // validates; no I/O, no goroutine
//	go b.Run(ctx)                                       // workers; returns when ctx ends
//	ok := b.Enqueue(msg)                                // after the response is flushed
//	…
//	err = b.Flush(shutdownCtx)                          // at shutdown, after the servers drained
//
// Enqueue is the only call on the relay path. It takes a lock, copies the message into a ring
// and signals a worker: no allocation, no Redis round trip. The message's Relay bytes are
// referenced, not copied, until published, so the caller must not reuse that buffer.
//
// # Bound and overflow
// The backlog holds at most cfg.Backlog relays, counting both queued relays and the batches the
// workers are sending. When it is full, cfg.OverflowPolicy decides:
//
//   - drop_newest: the new relay is refused at once (reason backlog_full).
//   - drop_oldest: the oldest queued relay is evicted (reason evicted_oldest) and the new one
//     queued. If every slot belongs to a batch being sent, nothing can be evicted and the new
//     relay is refused (backlog_full).
//   - wait: Enqueue blocks until a slot frees, at most cfg.OverflowWait, then refuses the relay
//     (wait_timeout). Flush wakes waiters, who drop with reason shutdown.
//
// A relay over the wire-format size limits is refused with reason oversized. Every refused or
// evicted relay is counted once in relayminer_publish_dropped_total{reason}; the reasons are the
// Reason constants.
//
// # Redis failures
// A worker takes up to MaxBatch relays (fewer for a small backlog, so half of the bound is always
// left for queuing) and sends them in one pipeline. The relays whose XADD failed stay in the
// worker's batch, still counted against the bound, and are retried with jittered exponential
// backoff from 50ms to 5s; meanwhile new relays keep queuing up to the bound. So an outage loses
// nothing as long as the backlog does not overflow, and what overflows is counted. Delivery is
// at least once: a pipeline whose reply was lost is sent again, and the miner keys leaves by
// relay hash, so a relay added twice is counted once.
//
// Order is first in, first out per backlog, across workers only roughly; the miner does not
// depend on order. There is no per-supplier fairness: one hot supplier can fill the backlog.
//
// # Shutdown
// Run returns once its workers have; a batch a worker could not send by then goes back to the
// front of the queue. Flush closes intake (later Enqueues drop with reason shutdown), sends
// everything still queued, and waits for batches the workers hold, until the backlog is empty or
// its ctx ends; then it drops the rest with reason shutdown and returns an error naming the count.
// Flush may run while Run is still running (workers and Flush drain together) or after it.
//
// # Metrics
//
//	relayminer_publish_backlog_relays          gauge: queued + being sent
//	relayminer_publish_published_total         relays added to a stream
//	relayminer_publish_errors_total            batches with at least one failed XADD
//	relayminer_publish_dropped_total{reason}   backlog_full|evicted_oldest|wait_timeout|oversized|shutdown
//	relayminer_publish_batch_size              histogram of relays per pipeline
//	relayminer_publish_batch_duration_seconds  histogram of pipeline round trips
package publish
