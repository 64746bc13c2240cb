package backend

import (
	"github.com/prometheus/client_golang/prometheus"
)

// outcome indexes the outcome label of requests_total: one per attempt on an endpoint.
type outcome uint8

const (
	outcomeOK outcome = iota // the backend answered below 500 and the body was read
	outcome5xx
	outcomeDial
	outcomeTimeout
	outcomeTransport
	outcomeTooLarge
	outcomeCanceled
	numOutcomes
)

var outcomeNames = [numOutcomes]string{
	"ok", string(Reason5xx), string(ReasonDial), string(ReasonTimeout), string(ReasonTransport),
	string(ReasonTooLarge), string(ReasonClientCanceled),
}

func outcomeOf(r Reason) outcome {
	switch r {
	case Reason5xx:
		return outcome5xx
	case ReasonDial:
		return outcomeDial
	case ReasonTimeout:
		return outcomeTimeout
	case ReasonTooLarge:
		return outcomeTooLarge
	case ReasonClientCanceled:
		return outcomeCanceled
	default:
		return outcomeTransport
	}
}

// codeClass indexes the code_class label of status_total.
type codeClass uint8

const (
	class2xx codeClass = iota
	class3xx
	class4xx
	class5xx
	classOther // 1xx as a final status, or above 599
	numClasses
)

var classNames = [numClasses]string{"2xx", "3xx", "4xx", "5xx", "other"}

func classOf(code int) codeClass {
	switch {
	case code >= 200 && code < 300:
		return class2xx
	case code >= 300 && code < 400:
		return class3xx
	case code >= 400 && code < 500:
		return class4xx
	case code >= 500 && code < 600:
		return class5xx
	}
	return classOther
}

// retryReasons are the reasons an attempt is retried on another endpoint.
var retryReasons = []Reason{ReasonDial, ReasonTransport, Reason5xx}

// Metrics are the backend metrics of every pool of a process. Build one with NewMetrics and
// hand it to every New. The endpoint label is the endpoint's index in the configuration,
// never its URL.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	status   *prometheus.CounterVec
	healthy  *prometheus.GaugeVec
	open     *prometheus.GaugeVec
	retries  *prometheus.CounterVec
}

// NewMetrics creates the backend metrics and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	ep := []string{"service", "rpc_type", "endpoint"}
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Subsystem: "backend", Name: "requests_total",
			Help: "Backend attempts by endpoint and outcome (ok, or the failure reason).",
		}, append(ep, "outcome")),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "relayminer", Subsystem: "backend", Name: "duration_seconds",
			Help:    "Duration of one backend attempt, response body included.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, ep),
		status: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Subsystem: "backend", Name: "status_total",
			Help: "Backend responses by status code class.",
		}, append(ep, "code_class")),
		healthy: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "relayminer", Subsystem: "backend", Name: "healthy",
			Help: "1 when the endpoint's last active health check passed (always 1 without checks).",
		}, ep),
		open: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "relayminer", Subsystem: "backend", Name: "breaker_open",
			Help: "1 while the endpoint's circuit breaker is open or half-open.",
		}, ep),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Subsystem: "backend", Name: "retries_total",
			Help: "Attempts retried on another endpoint, by the reason of the failed attempt.",
		}, []string{"service", "rpc_type", "reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration, m.status, m.healthy, m.open, m.retries)
	}
	return m
}

// endpointMetrics are one endpoint's children, resolved at startup so the hot path never
// hashes label values.
type endpointMetrics struct {
	requests [numOutcomes]prometheus.Counter
	status   [numClasses]prometheus.Counter
	duration prometheus.Observer
	healthy  prometheus.Gauge
	open     prometheus.Gauge
}

func (m *Metrics) endpoint(service, rpcType, name string) endpointMetrics {
	var em endpointMetrics
	for o := range numOutcomes {
		em.requests[o] = m.requests.WithLabelValues(service, rpcType, name, outcomeNames[o])
	}
	for c := range numClasses {
		em.status[c] = m.status.WithLabelValues(service, rpcType, name, classNames[c])
	}
	em.duration = m.duration.WithLabelValues(service, rpcType, name)
	em.healthy = m.healthy.WithLabelValues(service, rpcType, name)
	em.open = m.open.WithLabelValues(service, rpcType, name)
	return em
}

// retryCounters returns the pool's retry children, indexed by the outcome of the failed
// attempt; only retried outcomes are set.
func (m *Metrics) retryCounters(service, rpcType string) [numOutcomes]prometheus.Counter {
	var out [numOutcomes]prometheus.Counter
	for _, r := range retryReasons {
		out[outcomeOf(r)] = m.retries.WithLabelValues(service, rpcType, string(r))
	}
	return out
}
