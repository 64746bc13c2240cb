package keys

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes of a reload, the values of the "outcome" label.
const (
	outcomeSuccess = "success"
	outcomeError   = "error"
)

// metrics are the Manager's series. Children are resolved once, so a reload hashes no labels.
type metrics struct {
	loaded        prometheus.Gauge
	reloadSuccess prometheus.Counter
	reloadError   prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	loaded := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "relayminer", Subsystem: "keys", Name: "loaded",
		Help: "Supplier operator keys currently loaded.",
	})
	reloads := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "relayminer", Subsystem: "keys", Name: "reloads_total",
		Help: "Reloads of the supplier key sources, by outcome (success, error). A failed reload keeps the previous keys.",
	}, []string{"outcome"})
	for _, c := range []prometheus.Collector{loaded, reloads} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register key metrics: %w", err)
		}
	}
	return &metrics{
		loaded:        loaded,
		reloadSuccess: reloads.WithLabelValues(outcomeSuccess),
		reloadError:   reloads.WithLabelValues(outcomeError),
	}, nil
}
