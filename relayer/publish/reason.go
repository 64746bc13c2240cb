package publish

// Reason says why a relay was dropped instead of published. It is the label of
// relayminer_publish_dropped_total; the set is closed.
type Reason string

// Drop reasons.
const (
	// ReasonBacklogFull: the backlog was full and the policy is drop_newest (or drop_oldest
	// found nothing queued to evict because every slot was being published).
	ReasonBacklogFull Reason = "backlog_full"
	// ReasonEvictedOldest: the policy is drop_oldest and a newer relay took this one's slot.
	ReasonEvictedOldest Reason = "evicted_oldest"
	// ReasonWaitTimeout: the policy is wait and no slot freed within overflow_wait.
	ReasonWaitTimeout Reason = "wait_timeout"
	// ReasonOversized: the relay exceeds the message size limits (transport.Message.CheckSize)
	// and could never be published.
	ReasonOversized Reason = "oversized"
	// ReasonShutdown: enqueued after Flush began, or still unpublished when Flush's deadline
	// passed.
	ReasonShutdown Reason = "shutdown"
)

// reasons lists every Reason, so metrics create their series at startup.
var reasons = [...]Reason{ReasonBacklogFull, ReasonEvictedOldest, ReasonWaitTimeout, ReasonOversized, ReasonShutdown}
