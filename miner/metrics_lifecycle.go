package miner

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Claim and proof outcomes: the outcome label of the claims and proofs counters.
const (
	outcomeIncluded    = "included"     // on chain
	outcomeFailed      = "failed"       // refused or timed out; retried while the window is open
	outcomeUnknown     = "unknown"      // may still land; looked up before any resend
	outcomeNotRequired = "not_required" // proofs only: the chain wants none, none was sent
)

// LifecycleMetrics are the session lifecycle's metrics, shared by every supplier's Runner.
type LifecycleMetrics struct {
	claims        *prometheus.CounterVec // supplier, outcome
	proofs        *prometheus.CounterVec // supplier, outcome
	sessions      *prometheus.GaugeVec   // state
	computeUnits  *prometheus.CounterVec // supplier
	relays        *prometheus.CounterVec // supplier
	skipped       *prometheus.CounterVec // supplier, reason
	failed        *prometheus.CounterVec // supplier, reason
	stateCounters map[State]prometheus.Gauge
}

// NewLifecycleMetrics registers the lifecycle metrics with reg.
func NewLifecycleMetrics(reg prometheus.Registerer) (*LifecycleMetrics, error) {
	m := &LifecycleMetrics{
		claims: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "relayminer", Subsystem: "miner",
			Name: "claims_total", Help: "Claim messages sent, by outcome (included, failed, unknown)."}, []string{"supplier", "outcome"}),
		proofs: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "relayminer", Subsystem: "miner",
			Name: "proofs_total", Help: "Proof messages sent, by outcome (included, failed, unknown), and claims that needed none (not_required)."}, []string{"supplier", "outcome"}),
		sessions: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "relayminer", Subsystem: "miner",
			Name: "sessions", Help: "Sessions tracked by this replica's lifecycle, by state."}, []string{"state"}),
		computeUnits: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "relayminer", Subsystem: "miner",
			Name: "compute_units_claimed_total", Help: "Compute units in claims included on chain."}, []string{"supplier"}),
		relays: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "relayminer", Subsystem: "miner",
			Name: "relays_claimed_total", Help: "Relays in claims included on chain."}, []string{"supplier"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "relayminer", Subsystem: "miner",
			Name: "sessions_skipped_total", Help: "Sessions deliberately not claimed or not proved, by reason."}, []string{"supplier", "reason"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "relayminer", Subsystem: "miner",
			Name: "sessions_failed_total", Help: "Sessions whose claim or required proof missed its window, by reason."}, []string{"supplier", "reason"}),
		stateCounters: map[State]prometheus.Gauge{},
	}
	for _, c := range []prometheus.Collector{m.claims, m.proofs, m.sessions, m.computeUnits, m.relays, m.skipped, m.failed} {
		if err := reg.Register(c); err != nil {
			return nil, errors.Join(errors.New("register lifecycle metrics"), err)
		}
	}
	for _, s := range AllStates {
		m.stateCounters[s] = m.sessions.WithLabelValues(string(s))
	}
	return m, nil
}

// initSupplier creates supplier's series at 0.
func (m *LifecycleMetrics) initSupplier(s string) {
	for _, o := range []string{outcomeIncluded, outcomeFailed, outcomeUnknown} {
		m.claims.WithLabelValues(s, o)
		m.proofs.WithLabelValues(s, o)
	}
	m.proofs.WithLabelValues(s, outcomeNotRequired)
	m.computeUnits.WithLabelValues(s)
	m.relays.WithLabelValues(s)
	for _, r := range SkipReasons {
		m.skipped.WithLabelValues(s, string(r))
	}
	for _, r := range FailReasons {
		m.failed.WithLabelValues(s, string(r))
	}
}

// deleteSupplier drops supplier's series once this replica no longer mines it.
func (m *LifecycleMetrics) deleteSupplier(s string) {
	l := prometheus.Labels{"supplier": s}
	for _, v := range []*prometheus.CounterVec{m.claims, m.proofs, m.computeUnits, m.relays, m.skipped, m.failed} {
		v.DeletePartialMatch(l)
	}
}

// transition counts a state change of one of supplier's sessions (from "" when it appears,
// to "" when it is dropped).
func (m *LifecycleMetrics) transition(supplier string, from, to Session) {
	if from.State == to.State {
		return
	}
	if g, ok := m.stateCounters[from.State]; ok {
		g.Dec()
	}
	if g, ok := m.stateCounters[to.State]; ok {
		g.Inc()
	}
	if from.State == "" { // loaded or new, not a transition
		return
	}
	switch to.State {
	case StateSkipped:
		m.skipped.WithLabelValues(supplier, string(to.Reason)).Inc()
		if to.Reason == ReasonProofNotRequired {
			m.proofs.WithLabelValues(supplier, outcomeNotRequired).Inc()
		}
	case StateFailed:
		m.failed.WithLabelValues(supplier, string(to.Reason)).Inc()
	}
}
