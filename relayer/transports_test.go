package relayer

import (
	"testing"
	"time"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

// The transport limits are read from the config once, in New; unset ones take the defaults.
func TestTransportLimitsFromConfig(t *testing.T) {
	def := newFixture(t).srv
	d := config.DefaultTransports()
	if want := (wsTimings{ping: d.WebSocket.PingInterval, pongWait: d.WebSocket.PongWait, write: d.WebSocket.WriteTimeout, queue: d.WebSocket.SendQueue}); def.ws.timings != want {
		t.Errorf("default ws timings = %+v, want %+v", def.ws.timings, want)
	}
	if want := newStreamLimits(d.Streaming); def.streamLim != want {
		t.Errorf("default stream limits = %+v, want %+v", def.streamLim, want)
	}
	if def.grpcTimeout != d.GRPC.Timeout || def.services[testService].grpcMaxResp != int64(config.DefaultMaxResponseBytes) {
		t.Errorf("default grpc timeout = %s, max response = %d", def.grpcTimeout, def.services[testService].grpcMaxResp)
	}

	custom := config.Transports{
		WebSocket: config.WebSocketLimits{PingInterval: time.Second, PongWait: 3 * time.Second, WriteTimeout: 2 * time.Second, SendQueue: 5},
		Streaming: config.StreamingLimits{BatchInterval: time.Millisecond, BatchBytes: 1 << 10, BatchEvents: 2, MaxBytes: 4 << 10},
		GRPC:      config.GRPCLimits{Timeout: 7 * time.Second},
	}
	srv := newFixture(t, func(f *fixture) {
		f.cfg.Transports = custom
		f.cfg.Services[testService].Backends[config.RPCJSONRPC].MaxResponseBytes = 1 << 20 // not grpc: ignored
	}).srv
	if want := (wsTimings{ping: time.Second, pongWait: 3 * time.Second, write: 2 * time.Second, queue: 5}); srv.ws.timings != want {
		t.Errorf("ws timings = %+v, want %+v", srv.ws.timings, want)
	}
	if want := (streamLimits{interval: time.Millisecond, batchBytes: 1 << 10, batchEvents: 2, maxBytes: 4 << 10}); srv.streamLim != want {
		t.Errorf("stream limits = %+v, want %+v", srv.streamLim, want)
	}
	if srv.grpcTimeout != 7*time.Second {
		t.Errorf("grpc timeout = %s", srv.grpcTimeout)
	}
	if got := srv.services[testService].grpcMaxResp; got != int64(config.DefaultMaxResponseBytes) {
		t.Errorf("grpc max response = %d, want the default (no grpc backend)", got)
	}
}
