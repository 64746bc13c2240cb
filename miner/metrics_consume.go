package miner

import "github.com/prometheus/client_golang/prometheus"

// rejectReason is why a stream entry was acknowledged without changing a tree. It is the
// reason label of relayminer_miner_relays_rejected_total.
type rejectReason string

const (
	// reasonMalformed: the entry does not decode (transport.ErrMalformedMessage) or is empty.
	reasonMalformed rejectReason = "malformed"
	// reasonWrongSupplier: the message names another supplier than the stream's.
	reasonWrongSupplier rejectReason = "wrong_supplier"
	// reasonLate: the SessionGate refused the session (its tree is sealed for claiming).
	reasonLate rejectReason = "late"
	// reasonCUPRMismatch: the relay's compute units per relay differ from its tree's.
	reasonCUPRMismatch rejectReason = "cupr_mismatch"
)

var rejectReasons = rejectReasonsArr[:]

// ConsumeMetrics are the collectors of stream consumption. One value serves every supplier
// worker of a process; supplier series are created when a worker starts and deleted when it
// stops.
type ConsumeMetrics struct {
	applied   *prometheus.CounterVec
	duplicate *prometheus.CounterVec
	rejected  *prometheus.CounterVec
	batchSize prometheus.Histogram
	batchDur  prometheus.Histogram
	lag       *prometheus.GaugeVec
	trees     *prometheus.GaugeVec
	trimmed   *prometheus.CounterVec
}

// NewConsumeMetrics registers the consumption collectors with reg.
func NewConsumeMetrics(reg prometheus.Registerer) *ConsumeMetrics {
	m := &ConsumeMetrics{
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Subsystem: "miner", Name: "relays_applied_total",
			Help: "Relays inserted into a session tree and committed.",
		}, []string{"supplier"}),
		duplicate: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Subsystem: "miner", Name: "relays_duplicate_total",
			Help: "Stream entries whose relay hash was already in its tree (acknowledged, no change).",
		}, []string{"supplier"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Subsystem: "miner", Name: "relays_rejected_total",
			Help: "Stream entries acknowledged without being inserted, by reason.",
		}, []string{"supplier", "reason"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "relayminer", Subsystem: "miner", Name: "batch_size",
			Help:    "Stream entries per committed batch.",
			Buckets: []float64{1, 10, 50, 100, 250, 500, 1000, 2500, 5000},
		}),
		batchDur: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "relayminer", Subsystem: "miner", Name: "batch_duration_seconds",
			Help:    "Time to apply and commit one batch (decode, trees, MULTI/EXEC with XACK).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "relayminer", Subsystem: "miner", Name: "stream_lag",
			Help: "Entries of the supplier's stream not yet delivered to the miners plus those delivered but not acknowledged.",
		}, []string{"supplier"}),
		trees: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "relayminer", Subsystem: "miner", Name: "trees_open",
			Help: "Session trees held in memory for the supplier.",
		}, []string{"supplier"}),
		trimmed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Subsystem: "miner", Name: "stream_trimmed_total",
			Help: "Entries removed from the supplier's relay stream by XTRIM MINID once their sessions were final.",
		}, []string{"supplier"}),
	}
	reg.MustRegister(m.applied, m.duplicate, m.rejected, m.batchSize, m.batchDur, m.lag, m.trees, m.trimmed)
	return m
}

// supplierMetrics are one supplier's children, resolved once so the apply path hashes no labels.
type supplierMetrics struct {
	parent    *ConsumeMetrics
	supplier  string
	applied   prometheus.Counter
	duplicate prometheus.Counter
	rejected  map[rejectReason]prometheus.Counter
	batchSize prometheus.Observer
	batchDur  prometheus.Observer
	lag       prometheus.Gauge
	trees     prometheus.Gauge
}

func (m *ConsumeMetrics) forSupplier(s string) *supplierMetrics {
	sm := &supplierMetrics{
		parent: m, supplier: s,
		applied:   m.applied.WithLabelValues(s),
		duplicate: m.duplicate.WithLabelValues(s),
		rejected:  make(map[rejectReason]prometheus.Counter, len(rejectReasons)),
		batchSize: m.batchSize,
		batchDur:  m.batchDur,
		lag:       m.lag.WithLabelValues(s),
		trees:     m.trees.WithLabelValues(s),
	}
	for _, r := range rejectReasons {
		sm.rejected[r] = m.rejected.WithLabelValues(s, string(r))
	}
	return sm
}

// drop deletes the supplier's series when its worker stops.
func (sm *supplierMetrics) drop() {
	l := prometheus.Labels{"supplier": sm.supplier}
	sm.parent.applied.DeletePartialMatch(l)
	sm.parent.duplicate.DeletePartialMatch(l)
	sm.parent.rejected.DeletePartialMatch(l)
	sm.parent.lag.DeletePartialMatch(l)
	sm.parent.trees.DeletePartialMatch(l)
	sm.parent.trimmed.DeletePartialMatch(l)
}
