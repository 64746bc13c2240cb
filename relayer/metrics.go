package relayer

import (
	"github.com/prometheus/client_golang/prometheus"
)

// stage is one step of a relay, the label of relay_stage_duration_seconds.
type stage uint8

const (
	stageParse stage = iota
	stageValidate
	stageBackend
	stageSign
	stageWrite
	stagePublish
	numStages
)

var stageNames = [numStages]string{"parse", "validate", "backend", "sign", "write", "publish"}

// outcome is what post-response work did with a served relay (relays_post_total).
type outcome uint8

const (
	outcomeMined       outcome = iota // handed to the publisher
	outcomeBelowTarget                // hash not under the difficulty target: not in the tree, still charged
	outcomeNotEligible                // claim window open, backend 5xx or over-serviced
	outcomeInvalid                    // optimistic validation failed: never mined
	outcomeDropped                    // publish backlog full, or post queue full
	outcomeError                      // a chain query for mining failed
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"mined", "below_target", "not_eligible", "invalid", "dropped", "error"}

// unknownServiceLabel labels relays whose service is not configured (bounded: one value).
const unknownServiceLabel = "unknown"

type metrics struct {
	received *prometheus.CounterVec
	served   *prometheus.CounterVec
	rejected *prometheus.CounterVec
	stages   *prometheus.HistogramVec
	post     *prometheus.CounterVec
}

// newMetrics registers every relayer metric on reg.
func newMetrics(reg prometheus.Registerer, postQueue func() float64) (*metrics, error) {
	m := &metrics{
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Name: "relays_received_total",
			Help: "Relay requests received, by the service named in the request.",
		}, []string{"service"}),
		served: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Name: "relays_served_total",
			Help: "Relays answered with a signed response.",
		}, []string{"service"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Name: "relays_rejected_total",
			Help: "Relays answered with a relay_miner_error, by reason.",
		}, []string{"service", "reason"}),
		stages: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "relayminer", Name: "relay_stage_duration_seconds",
			Help:    "Time spent in each stage of a relay.",
			Buckets: []float64{.00001, .00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"service", "stage"}),
		post: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Name: "relays_post_total",
			Help: "What post-response work did with served relays, by outcome.",
		}, []string{"service", "outcome"}),
	}
	queue := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "relayminer", Name: "relay_post_queue_relays",
		Help: "Served relays waiting for post-response work (validation, mining, publishing).",
	}, postQueue)
	for _, c := range []prometheus.Collector{m.received, m.served, m.rejected, m.stages, m.post, queue} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// serviceMetrics are one service's children, created at startup so the hot path never hashes
// label values.
type serviceMetrics struct {
	received prometheus.Counter
	served   prometheus.Counter
	rejected [numReasons]prometheus.Counter
	stages   [numStages]prometheus.Observer
	post     [numOutcomes]prometheus.Counter
}

func (m *metrics) forService(id string) serviceMetrics {
	var sm serviceMetrics
	sm.received = m.received.WithLabelValues(id)
	sm.served = m.served.WithLabelValues(id)
	for r := range numReasons {
		sm.rejected[r] = m.rejected.WithLabelValues(id, r.String())
	}
	for st := range numStages {
		sm.stages[st] = m.stages.WithLabelValues(id, stageNames[st])
	}
	for o := range numOutcomes {
		sm.post[o] = m.post.WithLabelValues(id, outcomeNames[o])
	}
	return sm
}
