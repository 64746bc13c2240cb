package relayer

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

// WebSocket relays (PROTOCOL §1.3, Rpc-Type 2). A gateway opens a WebSocket to the relayer
// with the headers Rpc-Type: 2, Target-Service-Id and App-Address. Before anything is
// upgraded the relayer checks the service (configured here, with a websocket backend) and the
// application's session at the current height (it exists and one of its suppliers is a key
// held here); any failure is an HTTP error, never a 101. The backend is dialled after the
// upgrade, for the first gateway message that passes full validation (whatever the service's
// validation mode): the upgrade itself is not signed.
//
// After the upgrade a bridge joins the two connections. Every gateway message must be a
// marshaled RelayRequest of the connection's service and application, for a supplier held
// here; eager services validate it (and charge the meter) before its payload goes to the
// backend, optimistic ones in post-response work, where an invalid relay is never mined. A
// message that is not a RelayRequest is answered with an error RelayResponse and the
// connection is closed (1008); one that fails a check is answered with an error RelayResponse
// and not forwarded. Each backend message becomes one RelayResponse paired with the latest
// request, signed once and sent to the gateway as a binary message; that pair is one relay
// handed to the same post-response work as HTTP relays. A gateway message is not itself a
// relay (the reference miner also pairs it with the previous response; that pair repeats a
// response already mined).
//
// A bridge has four goroutines: one reader and one writer per connection; nothing else writes.
// Messages are bounded (gateway: the service's max_body_bytes; backend: the websocket
// backend's max_response_bytes, each message being one relay's answer), queues are bounded and
// block the reader of the other side (TCP backpressure), every write has a deadline and each
// side is pinged. A backend message over its bound is refused like an oversized HTTP answer
// (an error RelayResponse, rejected as backend_error), never forwarded, and ends the bridge. The bridge closes when
// either side goes away, when the claim window of the upgrade session opens (checked on every
// housekeeping tick) or on shutdown, which closes every registered connection and waits.

// Headers of a WebSocket relay upgrade (PROTOCOL §1.3).
const (
	wsServiceHeader = "Target-Service-Id"
	wsAppHeader     = "App-Address"
)

// wsBufferSize is the read and write buffer of each connection. The bridge's timings and
// queue come from transports.websocket (config.WebSocketLimits).
const wsBufferSize = 16 << 10

// wsUpstream is the websocket backend of one service, resolved at startup.
type wsUpstream struct {
	urls    []string    // ws or wss
	header  http.Header // static headers and Authorization; copied per dial
	timeout time.Duration
	next    atomic.Uint64
}

// wsTimings are the bridge's timings and per-connection send queue, resolved from the config
// once in New; tests shorten them.
type wsTimings struct {
	ping, pongWait, write time.Duration
	queue                 int // messages that may wait for one connection's writer
}

// wsRelays holds everything the WebSocket path needs beyond the Server: the upstreams, the
// metrics and the registry of open bridges.
type wsRelays struct {
	upstreams map[string]*wsUpstream // by service id; read-only after New
	metrics   map[string]*wsServiceMetrics
	upgrader  websocket.Upgrader
	timings   wsTimings

	mu      sync.Mutex
	bridges map[*wsBridge]struct{}
	closed  bool
	wg      sync.WaitGroup // running bridges
}

// newWebSockets resolves the websocket backends of the configured services.
func newWebSockets(cfg *config.Relayer, lim config.WebSocketLimits, reg prometheus.Registerer) (*wsRelays, error) {
	m, err := newWSMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("relayer websocket metrics: %w", err)
	}
	ws := &wsRelays{
		upstreams: map[string]*wsUpstream{},
		metrics:   map[string]*wsServiceMetrics{},
		bridges:   map[*wsBridge]struct{}{},
		timings:   wsTimings{ping: lim.PingInterval, pongWait: lim.PongWait, write: lim.WriteTimeout, queue: lim.SendQueue},
		upgrader: websocket.Upgrader{
			ReadBufferSize: wsBufferSize, WriteBufferSize: wsBufferSize,
			// Gateways are not browsers; the relay itself is authenticated per message.
			CheckOrigin: func(*http.Request) bool { return true },
		},
	}
	for id, sc := range cfg.Services {
		bc := sc.Backends[config.RPCWebSocket]
		if bc == nil {
			continue
		}
		up, err := newWSUpstream(bc)
		if err != nil {
			return nil, fmt.Errorf("service %s websocket backend: %w", id, err)
		}
		ws.upstreams[id] = up
		ws.metrics[id] = m.forService(id)
		ws.metrics[id].conns.Set(0)
	}
	return ws, nil
}

func newWSUpstream(bc *config.Backend) (*wsUpstream, error) {
	up := &wsUpstream{header: http.Header{}, timeout: bc.Timeout}
	if up.timeout <= 0 {
		up.timeout = config.DefaultBackendTimeout
	}
	for k, v := range bc.Headers {
		up.header.Set(k, v)
	}
	switch {
	case bc.BasicAuth != nil:
		cred := bc.BasicAuth.Username + ":" + bc.BasicAuth.Password.Value()
		up.header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cred)))
	case bc.BearerToken != "":
		up.header.Set("Authorization", "Bearer "+bc.BearerToken.Value())
	}
	for i, s := range bc.Endpoints() {
		u, err := url.Parse(s.Value())
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("endpoint %d: want an absolute URL with a host", i) // never echo the URL
		}
		switch u.Scheme {
		case "ws", "wss":
		case "http":
			u.Scheme = "ws"
		case "https":
			u.Scheme = "wss"
		default:
			return nil, fmt.Errorf("endpoint %d: want a ws, wss, http or https URL", i)
		}
		up.urls = append(up.urls, u.String())
	}
	if len(up.urls) == 0 {
		return nil, errors.New("no endpoint")
	}
	return up, nil
}

// isWebSocketRelay reports whether r asks for a WebSocket relay (Rpc-Type 2).
func isWebSocketRelay(r *http.Request) bool {
	v := r.Header[rpcTypeHeader]
	return len(v) > 0 && v[0] == "2"
}

// register adds b to the registry; false once shutdown began (b must then be closed).
func (ws *wsRelays) register(b *wsBridge) bool {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.closed {
		return false
	}
	ws.bridges[b] = struct{}{}
	ws.wg.Add(1)
	return true
}

func (ws *wsRelays) unregister(b *wsBridge) {
	ws.mu.Lock()
	delete(ws.bridges, b)
	ws.mu.Unlock()
	ws.wg.Done()
}

// each calls f for every open bridge, outside the lock.
func (ws *wsRelays) each(f func(*wsBridge)) {
	ws.mu.Lock()
	bs := make([]*wsBridge, 0, len(ws.bridges))
	for b := range ws.bridges {
		bs = append(bs, b)
	}
	ws.mu.Unlock()
	for _, b := range bs {
		f(b)
	}
}

// expire closes the bridges whose session's claim window is open at height cur.
func (ws *wsRelays) expire(cur int64) {
	ws.each(func(b *wsBridge) {
		if cur >= b.closeAt {
			b.stop(websocket.CloseNormalClosure, "session claim window opened")
		}
	})
}

// shutdown refuses new bridges, closes every open one (close frame, then the hijacked
// connections, which http.Server.Shutdown does not track) and waits for them to finish, so
// their last relays are queued before the post pool stops. Idempotent.
func (ws *wsRelays) shutdown() {
	ws.mu.Lock()
	ws.closed = true
	ws.mu.Unlock()
	ws.each(func(b *wsBridge) { b.stop(websocket.CloseGoingAway, "relayer shutting down") })
	ws.wg.Wait()
}
