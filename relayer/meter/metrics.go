package meter

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	decisions    [len(outcomes)]prometheus.Counter
	refunds      prometheus.Counter
	refundErrors prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "relayminer", Subsystem: "meter", Name: "decisions_total",
		Help: "Relay meter decisions, by outcome (allowed, over_serviced, fail_open, fail_closed, skipped).",
	}, []string{"outcome"})
	m := &metrics{
		refunds: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "relayminer", Subsystem: "meter", Name: "refunds_total",
			Help: "Relay costs given back to a session budget because the relay was not mined.",
		}),
		refundErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "relayminer", Subsystem: "meter", Name: "refund_errors_total",
			Help: "Refunds that could not reach Redis; the budget stays consumed (conservative).",
		}),
	}
	for i, o := range outcomes {
		m.decisions[i] = vec.WithLabelValues(string(o))
	}
	for _, c := range []prometheus.Collector{vec, m.refunds, m.refundErrors} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) decided(o Outcome) {
	for i, x := range outcomes {
		if x == o {
			m.decisions[i].Inc()
			return
		}
	}
}
