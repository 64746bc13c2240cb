package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	"github.com/gorilla/websocket"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
)

// WebSocket relays (Rpc-Type 2). A connection is opened with the upgrade headers Rpc-Type: 2,
// Target-Service-Id and App-Address; every frame the client writes is a marshaled, ring-signed
// RelayRequest whose payload is the backend message, and every backend message comes back as
// one signed RelayResponse in a binary message. A relay here is one frame and the Expect
// responses that follow it.
//
// Config.Connections connections are kept per endpoint; relays go to them in turn. Each
// connection has one writer (a mutex) and one reader goroutine, and the relays in flight on it
// are answered in order: the reader hands each message to the oldest relay still waiting.
// A relay that times out, or a response that does not verify, closes its connection (later
// messages could no longer be matched), and the next relay dials again. The relay miner closes
// a connection when the claim window of the session it was opened in opens: a relay whose frame
// got no answer because its connection closed is sent again, once, on a new connection, in the
// session current by then.

// Headers of a WebSocket relay upgrade.
const (
	wsServiceHeader = "Target-Service-Id"
	wsAppHeader     = "App-Address"
)

// wsMaxMessage bounds one message read from the relay miner.
const wsMaxMessage = 16 << 20

// errWSClosed marks a relay whose connection closed before any answer to it arrived.
var errWSClosed = errors.New("websocket connection closed")

// wsPool holds the connections of every endpoint.
type wsPool struct {
	c     *Client
	mu    sync.Mutex
	slots map[string][]*wsSlot
	next  atomic.Uint64
	dials atomic.Int64
}

// wsSlot is one connection place: its current connection, dialed on demand.
type wsSlot struct {
	mu   sync.Mutex
	conn *wsConn
}

// wsConn is one open connection with its pending relays, oldest first.
type wsConn struct {
	ws      *websocket.Conn
	wmu     sync.Mutex // the one writer
	mu      sync.Mutex
	pending []*wsWaiter
	dead    bool
	err     error
	done    chan struct{} // closed when the reader returned
}

// wsWaiter is one relay waiting for its responses.
type wsWaiter struct {
	expect, got int
	msgs        chan []byte // capacity expect: the reader never blocks
	closed      chan struct{}
}

func newWSPool(c *Client) *wsPool { return &wsPool{c: c, slots: map[string][]*wsSlot{}} }

// conn returns an open connection to url, dialing the slot's when it has none or it died.
func (p *wsPool) conn(ctx context.Context, url string) (*wsConn, error) {
	p.mu.Lock()
	slots := p.slots[url]
	if slots == nil {
		slots = make([]*wsSlot, p.c.cfg.Connections)
		for i := range slots {
			slots[i] = &wsSlot{}
		}
		p.slots[url] = slots
	}
	p.mu.Unlock()
	s := slots[(p.next.Add(1)-1)%uint64(len(slots))]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil && !s.conn.isDead() {
		return s.conn, nil
	}
	wc, err := p.dial(ctx, url)
	if err != nil {
		return nil, err
	}
	s.conn = wc
	return wc, nil
}

// dial opens a connection with the upgrade headers and starts its reader.
func (p *wsPool) dial(ctx context.Context, url string) (*wsConn, error) {
	p.dials.Add(1)
	hdr := http.Header{"Rpc-Type": {strconv.Itoa(int(p.c.rpcType))}, wsServiceHeader: {p.c.cfg.Service}, wsAppHeader: {p.c.cfg.App}}
	d := websocket.Dialer{HandshakeTimeout: p.c.cfg.Timeout, ReadBufferSize: 16 << 10, WriteBufferSize: 16 << 10}
	ws, resp, err := d.DialContext(ctx, wsURL(url), hdr)
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if rr := (&servicetypes.RelayResponse{}); rr.Unmarshal(raw) == nil && rr.RelayMinerError != nil {
				e := rr.RelayMinerError
				return nil, fail(CategoryRelayMinerError, e.Codespace+"/"+strconv.FormatUint(uint64(e.Code), 10),
					"upgrade refused (HTTP %d): %s: %s", resp.StatusCode, e.Description, e.Message)
			}
			return nil, fail(CategoryHTTPStatus, "miner_"+strconv.Itoa(resp.StatusCode), "upgrade refused: %s: %s", resp.Status, snippet(raw))
		}
		return nil, &Error{Category: CategoryTransport, Err: fmt.Errorf("dial %s: %w", url, err)}
	}
	resp.Body.Close()
	ws.SetReadLimit(wsMaxMessage)
	wc := &wsConn{ws: ws, done: make(chan struct{})}
	go wc.read()
	return wc, nil
}

// wsURL turns an http(s) endpoint into its ws(s) form; ws and wss URLs are kept.
func wsURL(u string) string {
	switch {
	case strings.HasPrefix(u, "http://"):
		return "ws://" + strings.TrimPrefix(u, "http://")
	case strings.HasPrefix(u, "https://"):
		return "wss://" + strings.TrimPrefix(u, "https://")
	}
	return u
}

// close closes every connection (with a close frame) and waits for their readers.
func (p *wsPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, slots := range p.slots {
		for _, s := range slots {
			s.mu.Lock()
			if c := s.conn; c != nil {
				c.wmu.Lock()
				_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
				c.wmu.Unlock()
				c.kill(errWSClosed)
				<-c.done
			}
			s.mu.Unlock()
		}
	}
}

// read hands every message to the oldest waiting relay; messages nobody waits for (more
// subscription events than expected) are dropped.
func (c *wsConn) read() {
	defer close(c.done)
	for {
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			c.kill(err)
			return
		}
		c.mu.Lock()
		if len(c.pending) > 0 {
			w := c.pending[0]
			w.msgs <- b
			if w.got++; w.got == w.expect {
				c.pending = c.pending[1:]
			}
		}
		c.mu.Unlock()
	}
}

func (c *wsConn) isDead() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dead
}

// kill marks the connection dead, fails every waiting relay and closes the socket.
func (c *wsConn) kill(err error) {
	c.mu.Lock()
	if c.dead {
		c.mu.Unlock()
		return
	}
	c.dead, c.err = true, err
	for _, w := range c.pending {
		close(w.closed)
	}
	c.pending = nil
	c.mu.Unlock()
	_ = c.ws.Close()
}

// exchange writes one frame and collects expect messages for it.
func (c *wsConn) exchange(ctx context.Context, frame []byte, expect int, timeout time.Duration) ([][]byte, error) {
	w := &wsWaiter{expect: expect, msgs: make(chan []byte, expect), closed: make(chan struct{})}
	c.wmu.Lock()
	c.mu.Lock()
	if c.dead {
		c.mu.Unlock()
		c.wmu.Unlock()
		return nil, errWSClosed
	}
	c.pending = append(c.pending, w)
	c.mu.Unlock()
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = c.ws.SetWriteDeadline(deadline)
	err := c.ws.WriteMessage(websocket.BinaryMessage, frame)
	c.wmu.Unlock()
	if err != nil {
		c.kill(err)
		return nil, errWSClosed
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	out := make([][]byte, 0, expect)
	for len(out) < expect {
		select {
		case b := <-w.msgs:
			out = append(out, b)
			continue
		default:
		}
		select {
		case b := <-w.msgs:
			out = append(out, b)
		case <-w.closed:
			select {
			case b := <-w.msgs:
				out = append(out, b)
				continue
			default:
			}
			if len(out) == 0 {
				return nil, errWSClosed
			}
			return out, &Error{Category: CategoryTransport, Err: fmt.Errorf("connection closed after %d of %d responses: %v", len(out), expect, c.closeErr())}
		case <-timer.C:
			c.kill(errors.New("a relay timed out"))
			return out, &Error{Category: CategoryTransport, Err: fmt.Errorf("%d of %d responses in %s: %w", len(out), expect, timeout, context.DeadlineExceeded)}
		case <-ctx.Done():
			c.kill(ctx.Err())
			return out, &Error{Category: CategoryTransport, Err: fmt.Errorf("%d of %d responses: %w", len(out), expect, ctx.Err())}
		}
	}
	return out, nil
}

func (c *wsConn) closeErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// wsSendAttempts bounds how often one frame is sent when its connection closes before any
// answer. At a session's claim window the relay miner closes every connection of the session,
// not all at once, so a resent frame may land on another connection that is about to close.
const wsSendAttempts = 3

// doWebSocket sends one frame in session st and verifies its responses; a frame whose
// connection closed before any answer is built again, in the session current by then, and
// sent again, up to wsSendAttempts times in all.
func (c *Client) doWebSocket(ctx context.Context, st *sessionState, res *Result) error {
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			st = c.state.Load()
		}
		t := st.pick()
		res.Supplier, res.Endpoint, res.Header = t.supplier, t.url, st.header
		body, err := c.build(st, t, res)
		if err != nil {
			return err
		}
		start := time.Now()
		conn, err := c.ws.conn(ctx, t.url)
		if err != nil {
			res.Timings.Network = time.Since(start)
			return err
		}
		msgs, err := conn.exchange(ctx, body, c.cfg.Expect, c.cfg.Timeout)
		res.Timings.Network = time.Since(start)
		if errors.Is(err, errWSClosed) {
			if attempt+1 < wsSendAttempts && ctx.Err() == nil {
				res.Resent = true
				continue
			}
			return &Error{Category: CategoryTransport, Err: fmt.Errorf("%w before an answer: %v", errWSClosed, conn.closeErr())}
		}
		vstart := time.Now()
		verr := c.verifyWS(msgs, res, t.pubKey)
		res.Timings.Verify = time.Since(vstart)
		if verr != nil {
			// A refusal answered in turn (one message for one frame) leaves the connection in
			// step; anything else and the messages that follow could no longer be matched.
			if cat, _ := Classify(verr); cat != CategoryRelayMinerError || c.cfg.Expect > 1 {
				conn.kill(verr)
			}
			return verr
		}
		if err == nil && len(msgs) > 0 {
			res.SignatureVerified = true
		}
		return err
	}
}

// verifyWS checks every response of a frame: no relay miner error, the request's application
// and service in a session this client used (the relay miner pairs a backend message with the
// latest frame, which may already be in the next session), the payload hash and the supplier's
// signature. Payloads are the backend's messages as they are.
func (c *Client) verifyWS(msgs [][]byte, res *Result, pub cryptotypes.PubKey) error {
	for i, raw := range msgs {
		resp, err := VerifyWebSocketResponse(raw, res.Header, pub, c.knownSession)
		if resp != nil {
			res.Response = resp
		}
		if err != nil {
			var e *Error
			if errors.As(err, &e) {
				e.Err = fmt.Errorf("response %d: %w", i, e.Err)
			}
			return err
		}
		res.Messages = append(res.Messages, resp.Payload)
		res.Frames++
	}
	return nil
}

// VerifyWebSocketResponse is VerifyResponse for a WebSocket response: the session may be any
// one known accepts (nil: only want's), the application and service must be want's.
func VerifyWebSocketResponse(raw []byte, want *sessiontypes.SessionHeader, pub cryptotypes.PubKey, known func(string) bool) (*servicetypes.RelayResponse, error) {
	resp, err := VerifyResponse(raw, nil, pub)
	if err != nil {
		return resp, err
	}
	h := resp.Meta.SessionHeader
	ok := h.SessionId == want.GetSessionId() || (known != nil && known(h.SessionId))
	if !ok || h.ApplicationAddress != want.GetApplicationAddress() || h.ServiceId != want.GetServiceId() {
		return resp, fail(CategorySignatureInvalid, "", "response is for session %s of %s/%s, the request for %s of %s/%s",
			h.SessionId, h.ApplicationAddress, h.ServiceId, want.GetSessionId(), want.GetApplicationAddress(), want.GetServiceId())
	}
	return resp, nil
}

// knownSession reports whether the client has sent relays in session id.
func (c *Client) knownSession(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.sessions {
		if s.SessionID == id {
			return true
		}
	}
	return false
}
