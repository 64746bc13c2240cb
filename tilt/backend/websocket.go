package backend

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/gorilla/websocket"
)

// serveWebSocket upgrades GET /ws. Every text or binary message is echoed. A JSON-RPC
// eth_subscribe message is answered with a subscription id and then count eth_subscription
// notifications, interval apart; ?mode=push pushes count messages right after the upgrade.
// The connection ends when the client closes it, on a read error, or when the Server closes.
func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	k, err := s.requestKnobs(r)
	if err != nil {
		writeBadRequest(w, err)
		return
	}
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the client.
	}
	if !s.track(conn) {
		_ = conn.Close()
		return
	}
	defer s.untrack(conn)
	defer conn.Close()

	// A hijacked connection outlives r.Context(); ctx ends with the Server instead.
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	ws := &wsConn{conn: conn, k: k}
	if r.URL.Query().Get("mode") == "push" {
		if !ws.push(ctx, "") {
			return
		}
	}
	ws.readLoop(ctx)
}

// wsConn serves one WebSocket connection from one goroutine: reads and pushes take turns, so
// writes never race.
type wsConn struct {
	conn  *websocket.Conn
	k     knobs
	subID int
}

func (c *wsConn) readLoop(ctx context.Context) {
	for {
		mt, msg, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		if !wait(ctx, c.k.delay) {
			return
		}
		if mt == websocket.TextMessage && isSubscribe(msg) {
			if !c.subscribe(ctx, msg) {
				return
			}
			continue
		}
		if err := c.conn.WriteMessage(mt, msg); err != nil {
			return
		}
	}
}

// isSubscribe reports whether msg is a JSON-RPC eth_subscribe call, without a full parse for
// the common echo case.
func isSubscribe(msg []byte) bool {
	if len(msg) == 0 || msg[0] != '{' {
		return false
	}
	var req struct {
		Method string `json:"method"`
	}
	return json.Unmarshal(msg, &req) == nil && req.Method == "eth_subscribe"
}

func (c *wsConn) subscribe(ctx context.Context, msg []byte) bool {
	var req rpcRequest
	_ = json.Unmarshal(msg, &req)
	c.subID++
	sub := "0x" + strconv.FormatInt(int64(c.subID), 16)
	reply := appendResultPrefix(nil, req.ID)
	reply = strconv.AppendQuote(reply, sub)
	reply = append(reply, '}')
	if err := c.conn.WriteMessage(websocket.TextMessage, reply); err != nil {
		return false
	}
	return c.push(ctx, sub)
}

// push sends count notifications, interval apart. With a subscription id they are
// eth_subscription notifications; without, plain {"n":i} events.
func (c *wsConn) push(ctx context.Context, sub string) bool {
	var b []byte
	for i := 1; i <= c.k.count; i++ {
		if i > 1 && !wait(ctx, c.k.interval) {
			return false
		}
		b = b[:0]
		if sub != "" {
			b = append(b, `{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":`...)
			b = strconv.AppendQuote(b, sub)
			b = append(b, `,"result":`...)
			b = appendEvent(b, i, c.k)
			b = append(b, "}}"...)
		} else {
			b = appendEvent(b, i, c.k)
		}
		if err := c.conn.WriteMessage(websocket.TextMessage, b); err != nil {
			return false
		}
	}
	return true
}
