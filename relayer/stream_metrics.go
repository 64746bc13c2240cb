package relayer

import "github.com/prometheus/client_golang/prometheus"

// streamMetrics are the gRPC and streaming relay metrics, one set of children per configured
// service, created at startup (read-only afterwards).
type streamMetrics struct {
	bySvc map[string]*streamServiceMetrics
}

type streamServiceMetrics struct {
	grpc       prometheus.Counter  // relayminer_grpc_relays_total
	relays     prometheus.Counter  // relayminer_stream_relays_total
	chunks     prometheus.Counter  // relayminer_stream_chunks_total
	bytes      prometheus.Counter  // relayminer_stream_bytes_total
	firstChunk prometheus.Observer // relayminer_stream_first_chunk_seconds
}

// newStreamMetrics registers the transport metrics on reg with children for every service id.
func newStreamMetrics(reg prometheus.Registerer, services map[string]*service) (*streamMetrics, error) {
	grpc := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "relayminer", Name: "grpc_relays_total",
		Help: "gRPC relays (Rpc-Type 1) answered with a signed response.",
	}, []string{"service"})
	relays := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "relayminer", Name: "stream_relays_total",
		Help: "Relays answered as a stream of signed frames (SSE, NDJSON).",
	}, []string{"service"})
	chunks := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "relayminer", Name: "stream_chunks_total",
		Help: "Signed frames written to streaming relays.",
	}, []string{"service"})
	bytes := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "relayminer", Name: "stream_bytes_total",
		Help: "Backend stream bytes forwarded in signed frames.",
	}, []string{"service"})
	first := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "relayminer", Name: "stream_first_chunk_seconds",
		Help:    "Time from the relay request to the first signed frame flushed to the client.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"service"})
	for _, c := range []prometheus.Collector{grpc, relays, chunks, bytes, first} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	m := &streamMetrics{bySvc: make(map[string]*streamServiceMetrics, len(services))}
	for id := range services {
		m.bySvc[id] = &streamServiceMetrics{
			grpc: grpc.WithLabelValues(id), relays: relays.WithLabelValues(id),
			chunks: chunks.WithLabelValues(id), bytes: bytes.WithLabelValues(id),
			firstChunk: first.WithLabelValues(id),
		}
	}
	return m, nil
}
