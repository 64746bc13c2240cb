package query

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Method names one kind of chain query; it is the method label of the duration histogram and
// the prefix of every error.
type Method string

// The methods of Client. The set is closed: it bounds the metric's cardinality.
const (
	MethodSession              Method = "session"
	MethodSessionParams        Method = "session_params"
	MethodSharedParams         Method = "shared_params"
	MethodSharedParamsAtHeight Method = "shared_params_at_height"
	MethodApplication          Method = "application"
	MethodSupplier             Method = "supplier"
	MethodService              Method = "service"
	MethodCUPRAtHeight         Method = "cupr_at_height"
	MethodDifficultyAtHeight   Method = "difficulty_at_height"
	MethodProofParams          Method = "proof_params"
	MethodClaim                Method = "claim"
	MethodAccount              Method = "account"
	MethodBalance              Method = "balance"
	MethodBlock                Method = "block"
	MethodBlockRange           Method = "block_range"
	MethodStatus               Method = "status"
	MethodABCIInfo             Method = "abci_info"
)

var allMethods = []Method{
	MethodSession, MethodSessionParams, MethodSharedParams, MethodSharedParamsAtHeight,
	MethodApplication, MethodSupplier, MethodService, MethodCUPRAtHeight, MethodDifficultyAtHeight,
	MethodProofParams, MethodClaim, MethodAccount, MethodBalance, MethodBlock, MethodBlockRange,
	MethodStatus, MethodABCIInfo,
}

var allOutcomes = []string{"ok", "not_found", "invalid", "transient", "error", "canceled"}

// metrics of one Client.
type metrics struct {
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "relayminer",
		Subsystem: "chain",
		Name:      "query_duration_seconds",
		Help:      "Duration of chain queries, retries included, by method and outcome.",
		Buckets:   []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"method", "outcome"})}
	for _, me := range allMethods {
		for _, o := range allOutcomes {
			m.duration.WithLabelValues(string(me), o)
		}
	}
	if reg != nil {
		reg.MustRegister(m.duration)
	}
	return m
}

func (m *metrics) observe(me Method, err error, start time.Time) {
	m.duration.WithLabelValues(string(me), outcome(err)).Observe(time.Since(start).Seconds())
}
