package tx

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Kind says what a tx carries; it is the kind label of the metrics.
type Kind string

// Kinds of tx. Any other value is counted as KindOther.
const (
	KindClaim Kind = "claim"
	KindProof Kind = "proof"
	KindOther Kind = "other"
)

// Outcome is how a tx ended; it is the outcome label of relayminer_tx_submitted_total.
type Outcome string

// Outcomes of a tx.
const (
	OutcomeIncluded Outcome = "included" // in a block with code 0
	OutcomeFailed   Outcome = "failed"   // refused by Simulate or CheckTx, or delivered with a non-zero code
	OutcomeTimeout  Outcome = "timeout"  // the chain passed its timeout height without including it
	// OutcomeUnconfirmed: the wait ended before the tx was found or could no longer land.
	OutcomeUnconfirmed Outcome = "unconfirmed"
)

var (
	allKinds    = []Kind{KindClaim, KindProof, KindOther}
	allOutcomes = []Outcome{OutcomeIncluded, OutcomeFailed, OutcomeTimeout, OutcomeUnconfirmed}
)

type metrics struct {
	submitted *prometheus.CounterVec
	gasUsed   *prometheus.HistogramVec
	confirm   *prometheus.HistogramVec
}

// newMetrics registers the package's metrics on reg (nil registers nothing) and creates every
// series at zero.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		submitted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Subsystem: "tx", Name: "submitted_total",
			Help: "Transactions submitted, by kind (claim, proof, other) and outcome (included, failed, timeout, unconfirmed).",
		}, []string{"kind", "outcome"}),
		gasUsed: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "relayminer", Subsystem: "tx", Name: "gas_used",
			Help:    "Gas used by included transactions, by kind.",
			Buckets: prometheus.ExponentialBuckets(25_000, 2, 12), // 25k … ~51M
		}, []string{"kind"}),
		confirm: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "relayminer", Subsystem: "tx", Name: "confirm_duration_seconds",
			Help:    "Time from a transaction's acceptance into the mempool until it was found in a block, by kind.",
			Buckets: []float64{0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300},
		}, []string{"kind"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.submitted, m.gasUsed, m.confirm} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	for _, k := range allKinds {
		for _, o := range allOutcomes {
			m.submitted.WithLabelValues(string(k), string(o))
		}
		m.gasUsed.WithLabelValues(string(k))
		m.confirm.WithLabelValues(string(k))
	}
	return m, nil
}

// kindLabel bounds the kind label.
func kindLabel(k Kind) string {
	switch k {
	case KindClaim, KindProof:
		return string(k)
	}
	return string(KindOther)
}

func (m *metrics) outcome(k Kind, o Outcome) {
	m.submitted.WithLabelValues(kindLabel(k), string(o)).Inc()
}

func (m *metrics) included(k Kind, gasUsed int64, confirmSeconds float64) {
	m.outcome(k, OutcomeIncluded)
	m.gasUsed.WithLabelValues(kindLabel(k)).Observe(float64(gasUsed))
	m.confirm.WithLabelValues(kindLabel(k)).Observe(confirmSeconds)
}

// outcomeOf classifies the error that ended a tx.
func outcomeOf(err error) Outcome {
	switch {
	case err == nil:
		return OutcomeIncluded
	case errors.Is(err, ErrTimeout):
		return OutcomeTimeout
	case errors.Is(err, ErrUnconfirmed):
		return OutcomeUnconfirmed
	}
	return OutcomeFailed
}
