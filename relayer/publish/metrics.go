package publish

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the backlog's Prometheus series. Every child exists from construction on, so the
// hot path never hashes a label value.
type metrics struct {
	dropped       [len(reasons)]prometheus.Counter
	published     prometheus.Counter
	errors        prometheus.Counter
	batchSize     prometheus.Histogram
	batchDuration prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer, backlog func() float64) (*metrics, error) {
	const ns, sub = "relayminer", "publish"
	droppedVec := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns, Subsystem: sub, Name: "dropped_total",
		Help: "Relays dropped instead of published to the supplier stream, by reason.",
	}, []string{"reason"})
	m := &metrics{
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "published_total",
			Help: "Relays added to their supplier stream.",
		}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "errors_total",
			Help: "Publish attempts (one pipelined batch each) in which at least one XADD failed; the failed relays are retried.",
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "batch_size",
			Help:    "Relays per pipelined XADD batch.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10), // 1 … 512
		}),
		batchDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "batch_duration_seconds",
			Help:    "Duration of one pipelined XADD batch, successful or not.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 12), // 100µs … ~2.4s
		}),
	}
	for i, r := range reasons {
		m.dropped[i] = droppedVec.WithLabelValues(string(r))
	}
	gauge := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: ns, Subsystem: sub, Name: "backlog_relays",
		Help: "Relays waiting to be published, including those in a batch being sent.",
	}, backlog)
	for _, c := range []prometheus.Collector{droppedVec, m.published, m.errors, m.batchSize, m.batchDuration, gauge} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) drop(r Reason, n int) {
	if n <= 0 {
		return
	}
	for i, x := range reasons {
		if x == r {
			m.dropped[i].Add(float64(n))
			return
		}
	}
}
