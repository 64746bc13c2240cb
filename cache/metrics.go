package cache

import "github.com/prometheus/client_golang/prometheus"

// metrics of the caches of one Hub.
type metrics struct {
	hits   *prometheus.CounterVec
	misses *prometheus.CounterVec
	stale  *prometheus.CounterVec
	errs   *prometheus.CounterVec
	// notFinal counts chain answers served but not cached because a later block may still
	// change them (a height the chain has not reached).
	notFinal *prometheus.CounterVec
	kinds    map[Kind]*kindMetrics
}

// kindMetrics holds the children of one kind, so the hot path never hashes label values.
type kindMetrics struct {
	hitL1, hitL1Stale, hitL2 prometheus.Counter
	miss, stale, errs        prometheus.Counter
	notFinal                 prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		hits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Subsystem: "cache", Name: "hits_total",
			Help: "Lookups answered from a cache tier (l1, l1_stale, l2).",
		}, []string{"kind", "tier"}),
		misses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Subsystem: "cache", Name: "misses_total",
			Help: "Lookups that found neither L1 nor L2 and went to the chain (or waited for the process that did).",
		}, []string{"kind"}),
		stale: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Subsystem: "cache", Name: "stale_serves_total",
			Help: "Lookups answered with the last good value because refreshing it failed.",
		}, []string{"kind"}),
		errs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Subsystem: "cache", Name: "errors_total",
			Help: "Failed loads, rejected values and Redis errors of the cache.",
		}, []string{"kind"}),
		notFinal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Subsystem: "cache", Name: "not_final_loads_total",
			Help: "Chain answers served but cached in no tier because a later block may still change them.",
		}, []string{"kind"}),
		kinds: map[Kind]*kindMetrics{},
	}
	for _, k := range allKinds {
		s := string(k)
		m.kinds[k] = &kindMetrics{
			hitL1:      m.hits.WithLabelValues(s, string(tierL1)),
			hitL1Stale: m.hits.WithLabelValues(s, string(tierL1Stale)),
			hitL2:      m.hits.WithLabelValues(s, string(tierL2)),
			miss:       m.misses.WithLabelValues(s),
			stale:      m.stale.WithLabelValues(s),
			errs:       m.errs.WithLabelValues(s),
			notFinal:   m.notFinal.WithLabelValues(s),
		}
	}
	if reg != nil {
		reg.MustRegister(m.hits, m.misses, m.stale, m.errs, m.notFinal)
	}
	return m
}
