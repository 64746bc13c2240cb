package meter

// Outcome is the meter's decision on one relay. It is the label of
// relayminer_meter_decisions_total; the set is closed.
type Outcome string

// Outcomes.
const (
	// OutcomeAllowed: the relay's cost fit in the remaining budget and was consumed.
	OutcomeAllowed Outcome = "allowed"
	// OutcomeOverServiced: the cost did not fit; nothing was consumed. Refuse the relay (or, if
	// over-servicing is allowed, serve it but never mine it).
	OutcomeOverServiced Outcome = "over_serviced"
	// OutcomeFailOpen: Redis failed and fail_mode is open; serve the relay unmetered.
	OutcomeFailOpen Outcome = "fail_open"
	// OutcomeFailClosed: Redis failed and fail_mode is closed; refuse the relay.
	OutcomeFailClosed Outcome = "fail_closed"
	// OutcomeSkipped: the application is not metered (Metered is false) or the meter is off.
	OutcomeSkipped Outcome = "skipped"
)

var outcomes = [...]Outcome{OutcomeAllowed, OutcomeOverServiced, OutcomeFailOpen, OutcomeFailClosed, OutcomeSkipped}

// Decision is the result of Meter.Consume.
type Decision struct {
	Outcome Outcome
	// Consumed is the supplier's consumption in this session after the decision, in upokt;
	// zero when Redis was not reached.
	Consumed uint64
}

// Serve reports whether the relay may be served: allowed, fail_open or skipped.
func (d Decision) Serve() bool {
	return d.Outcome == OutcomeAllowed || d.Outcome == OutcomeFailOpen || d.Outcome == OutcomeSkipped
}

// Refundable reports whether the relay's cost was actually consumed in Redis, so a Refund is
// due if the relay is not mined. Only allowed decisions consumed anything.
func (d Decision) Refundable() bool { return d.Outcome == OutcomeAllowed }
