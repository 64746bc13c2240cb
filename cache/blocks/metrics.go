package blocks

import "github.com/prometheus/client_golang/prometheus"

// source is where a block announcement came from; the bounded source label.
type source string

const (
	srcWebsocket source = "websocket"
	srcPoll      source = "poll"
	srcRedis     source = "redis"
)

type metrics struct {
	height     prometheus.Gauge
	reconnects *prometheus.CounterVec
	received   *prometheus.CounterVec
	gaps       prometheus.Counter
	skipped    prometheus.Counter
	dropped    *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		height: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "relayminer", Subsystem: "block", Name: "height",
			Help: "Height of the last block the feed delivered.",
		}),
		reconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Subsystem: "block", Name: "source_reconnects_total",
			Help: "Websocket reconnections, switches to polling, and Redis resuming after silence.",
		}, []string{"source"}),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Subsystem: "block", Name: "announcements_total",
			Help: "Block announcements received, by source (duplicates included).",
		}, []string{"source"}),
		gaps: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "relayminer", Subsystem: "block", Name: "gaps_filled_total",
			Help: "Heights no source announced that the feed fetched by height.",
		}),
		skipped: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "relayminer", Subsystem: "block", Name: "heights_skipped_total",
			Help: "Heights never delivered because the gap exceeded MaxGap.",
		}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Subsystem: "block", Name: "subscriber_dropped_total",
			Help: "Blocks a slow subscriber did not receive (mode latest: coalesced; every: queue overflow).",
		}, []string{"mode"}),
	}
	for _, s := range []source{srcWebsocket, srcPoll, srcRedis} {
		m.reconnects.WithLabelValues(string(s))
		m.received.WithLabelValues(string(s))
	}
	m.dropped.WithLabelValues("latest")
	m.dropped.WithLabelValues("every")
	if reg != nil {
		reg.MustRegister(m.height, m.reconnects, m.received, m.gaps, m.skipped, m.dropped)
	}
	return m
}
