package miner

// SessionGate decides whether a relay may still enter its session's tree. The session
// lifecycle refuses a session once its tree is sealed for claiming (the claim window is open);
// such relays are acknowledged and counted as rejected with reason "late". Accept is called on
// the apply path, once per relay, under the consumer's lock: it must be fast and must not block.
type SessionGate interface {
	Accept(h SessionHeader) bool
	// Close refuses h's session from now on. Consumer.Seal calls it under the consumer's lock,
	// after the last batch that may carry the session's relays has committed.
	Close(h SessionHeader)
}

// AcceptAll is the permissive SessionGate: every session is open.
type AcceptAll struct{}

// Accept reports true.
func (AcceptAll) Accept(SessionHeader) bool { return true }

// Close does nothing: AcceptAll never refuses.
func (AcceptAll) Close(SessionHeader) {}

// BatchHooks observe the steps of one batch on the apply path. Production code passes none;
// tests use them to stop a consumer between any two steps, as a crash would. An error returned
// by a hook ends the batch at once, with nothing more written, and ends the consumer's Run with
// that error.
type BatchHooks interface {
	// AfterRead runs once a batch has been read from the stream (or reclaimed), before any of
	// it is applied.
	AfterRead(entries int) error
	// AfterApply runs once the batch is in the in-memory trees, before its commit.
	AfterApply(entries int) error
	// AfterCommit runs once the batch's transaction has committed, before the next read.
	AfterCommit(entries int) error
}

type noHooks struct{}

func (noHooks) AfterRead(int) error   { return nil }
func (noHooks) AfterApply(int) error  { return nil }
func (noHooks) AfterCommit(int) error { return nil }

// hookError marks an error returned by a BatchHooks method: it is final, never retried.
type hookError struct{ err error }

func (e *hookError) Error() string { return "batch hook: " + e.err.Error() }
func (e *hookError) Unwrap() error { return e.err }
