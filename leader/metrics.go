package leader

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Lease kinds, the kind label of the lease metrics.
const (
	kindGlobal   = "global"
	kindSupplier = "supplier"
)

// metrics are the package's collectors. An Election and an Ownership given the same registerer
// share them: the second constructor reuses the collectors the first registered.
type metrics struct {
	isLeader prometheus.Gauge
	owned    prometheus.Gauge
	acquired *prometheus.CounterVec
	lost     *prometheus.CounterVec
	renewDur *prometheus.HistogramVec
	renewErr *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		isLeader: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "relayminer", Subsystem: "leader", Name: "is_leader",
			Help: "1 while this process holds the global leader lease, else 0.",
		}),
		owned: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "relayminer", Subsystem: "lease", Name: "owned_suppliers",
			Help: "Supplier leases this replica holds.",
		}),
		acquired: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Subsystem: "lease", Name: "acquired_total",
			Help: "Leases acquired, by kind (global, supplier).",
		}, []string{"kind"}),
		lost: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Subsystem: "lease", Name: "lost_total",
			Help: "Holdings that ended, by kind and reason (expired, stolen, released, redis_error).",
		}, []string{"kind", "reason"}),
		renewDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "relayminer", Subsystem: "lease", Name: "renew_duration_seconds",
			Help:    "Duration of one renewal round of all held leases of a kind.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"kind"}),
		renewErr: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Subsystem: "lease", Name: "renew_errors_total",
			Help: "Renewal scripts that failed with a Redis error, by kind.",
		}, []string{"kind"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.isLeader, err = register(reg, m.isLeader); err != nil {
		return nil, err
	}
	if m.owned, err = register(reg, m.owned); err != nil {
		return nil, err
	}
	if m.acquired, err = register(reg, m.acquired); err != nil {
		return nil, err
	}
	if m.lost, err = register(reg, m.lost); err != nil {
		return nil, err
	}
	if m.renewDur, err = register(reg, m.renewDur); err != nil {
		return nil, err
	}
	if m.renewErr, err = register(reg, m.renewErr); err != nil {
		return nil, err
	}
	return m, nil
}

// init creates the children of kind at zero so dashboards see them before the first event.
func (m *metrics) init(kind string) {
	m.acquired.WithLabelValues(kind)
	m.renewErr.WithLabelValues(kind)
	m.renewDur.WithLabelValues(kind)
	for _, r := range lossReasons {
		m.lost.WithLabelValues(kind, string(r))
	}
}

// register registers c, or returns the identical collector registered earlier.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if prev, ok := are.ExistingCollector.(C); ok {
			return prev, nil
		}
	}
	return c, err
}
