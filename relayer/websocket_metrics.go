package relayer

import "github.com/prometheus/client_golang/prometheus"

// wsDirection is the direction of a WebSocket message, a label of the websocket metrics.
type wsDirection uint8

const (
	wsRequest  wsDirection = iota // gateway → relayer (a RelayRequest frame)
	wsResponse                    // backend → relayer (answered to the gateway as a RelayResponse)
	numWSDirections
)

var wsDirectionNames = [numWSDirections]string{"request", "response"}

// wsMetrics are the WebSocket relay metrics; the relay path's own counters (received, served,
// rejected, post outcomes) are the service's serviceMetrics.
type wsMetrics struct {
	conns    *prometheus.GaugeVec
	messages *prometheus.CounterVec
	bytes    *prometheus.CounterVec
	relays   *prometheus.CounterVec
}

func newWSMetrics(reg prometheus.Registerer) (*wsMetrics, error) {
	m := &wsMetrics{
		conns: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "relayminer", Name: "websocket_connections",
			Help: "Open WebSocket relay bridges.",
		}, []string{"service"}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Name: "websocket_messages_total",
			Help: "WebSocket data messages read, by direction (request: from the gateway; response: from the backend).",
		}, []string{"service", "direction"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Name: "websocket_bytes_total",
			Help: "Bytes of WebSocket data messages read, by direction.",
		}, []string{"service", "direction"}),
		relays: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Name: "websocket_relays_total",
			Help: "WebSocket request/response pairs signed, answered and handed to post-response work.",
		}, []string{"service"}),
	}
	for _, c := range []prometheus.Collector{m.conns, m.messages, m.bytes, m.relays} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// wsServiceMetrics are one service's children, created at startup.
type wsServiceMetrics struct {
	conns    prometheus.Gauge
	messages [numWSDirections]prometheus.Counter
	bytes    [numWSDirections]prometheus.Counter
	relays   prometheus.Counter
}

func (m *wsMetrics) forService(id string) *wsServiceMetrics {
	sm := &wsServiceMetrics{conns: m.conns.WithLabelValues(id), relays: m.relays.WithLabelValues(id)}
	for d := range numWSDirections {
		sm.messages[d] = m.messages.WithLabelValues(id, wsDirectionNames[d])
		sm.bytes[d] = m.bytes.WithLabelValues(id, wsDirectionNames[d])
	}
	return sm
}

func (sm *wsServiceMetrics) read(d wsDirection, n int) {
	sm.messages[d].Inc()
	sm.bytes[d].Add(float64(n))
}
