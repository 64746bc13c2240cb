package relayer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"

	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/relayer/backend"
)

// wsFrame is one data message queued for a connection's writer.
type wsFrame struct {
	typ  int
	data []byte
}

// wsPeer is one side of a bridge: the connection and the queue of its only writer.
type wsPeer struct {
	conn *websocket.Conn
	out  chan wsFrame
	done chan struct{} // closed when the writer returned
}

func newWSPeer(c *websocket.Conn, queue int) *wsPeer {
	return &wsPeer{conn: c, out: make(chan wsFrame, queue), done: make(chan struct{})}
}

// wsPending is the latest admitted request of a bridge, the counterpart of backend messages.
type wsPending struct {
	req     *servicetypes.RelayRequest
	signer  Signer
	entry   *sessionEntry // set when validated eagerly
	metered bool          // an eager meter charge not yet used by a response
}

// wsBridge joins a gateway connection and a backend connection for one session.
type wsBridge struct {
	s       *Server
	svc     *service
	m       *wsServiceMetrics
	app     string
	closeAt int64
	up      *wsUpstream
	sess    *wsSession
	gw      *wsPeer
	// be is nil until the first authenticated request dialled the backend. Only the gateway
	// reader sets it (before starting the backend's goroutines, beWG) and run reads it only
	// once that reader returned.
	be     *wsPeer
	beWG   sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc

	stopOnce  sync.Once
	closeCode int    // written once by stop, before cancel
	closeText string // likewise

	mu     sync.Mutex
	latest *wsPending
}

func newWSBridge(s *Server, svc *service, up *wsUpstream, sess *wsSession, gw *websocket.Conn) *wsBridge {
	b := &wsBridge{
		s: s, svc: svc, m: s.ws.metrics[svc.id], app: sess.header.ApplicationAddress, closeAt: sess.closeAt,
		up: up, sess: sess, gw: newWSPeer(gw, s.ws.timings.queue),
	}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	return b
}

// stop ends the bridge with a close code for the gateway; the first call wins.
func (b *wsBridge) stop(code int, text string) {
	b.stopOnce.Do(func() {
		b.closeCode, b.closeText = code, text
		b.cancel()
	})
}

// closeNow closes a bridge that never ran.
func (b *wsBridge) closeNow(code int, text string) {
	deadline := time.Now().Add(b.s.ws.timings.write)
	_ = b.gw.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), deadline)
	_ = b.gw.conn.Close()
	b.cancel()
}

// run serves the bridge until it stops (the gateway's reader and writer run meanwhile, and
// the backend's once connectBackend dialled it). When it returns, nothing of the bridge runs
// any more.
func (b *wsBridge) run() {
	b.m.conns.Inc()
	defer b.m.conns.Dec()
	watchPongs(b.gw, b.s.ws.timings.pongWait)
	b.gw.conn.SetReadLimit(b.svc.maxBody)
	if b.s.heights.Height() >= b.closeAt { // the window may have opened during the upgrade
		b.stop(websocket.CloseNormalClosure, "session claim window opened")
	}

	gwWriter := make(chan struct{})
	go func() { defer close(gwWriter); b.writeLoop(b.gw) }()
	gwReader := make(chan struct{})
	go func() { defer close(gwReader); b.readGateway() }()

	<-b.ctx.Done()
	<-b.gw.done           // close frame sent (or its write failed / timed out)
	_ = b.gw.conn.Close() // unblocks the gateway's reader
	<-gwReader            // from here on b.be is fixed
	if b.be != nil {
		<-b.be.done
		_ = b.be.conn.Close() // unblocks the backend's reader
	}
	b.beWG.Wait()
	<-gwWriter
	b.refundUnused(nil)
}

// watchPongs arms p's read deadline, extended by every pong.
func watchPongs(p *wsPeer, pongWait time.Duration) {
	_ = p.conn.SetReadDeadline(time.Now().Add(pongWait))
	p.conn.SetPongHandler(func(string) error { return p.conn.SetReadDeadline(time.Now().Add(pongWait)) })
}

// connectBackend dials the backend for the connection's first authenticated request and
// starts the backend's writer and reader. Called by the gateway reader only.
func (b *wsBridge) connectBackend() error {
	c, err := b.s.dialWebSocket(b.ctx, b.svc, b.up, b.sess)
	if err != nil {
		return err
	}
	b.be = newWSPeer(c, b.s.ws.timings.queue)
	watchPongs(b.be, b.s.ws.timings.pongWait)
	b.be.conn.SetReadLimit(b.svc.maxResponse(config.RPCWebSocket))
	b.beWG.Add(2)
	go func() { defer b.beWG.Done(); b.writeLoop(b.be) }()
	go func() { defer b.beWG.Done(); b.readBackend() }()
	return nil
}

// writeLoop is the only writer of p: queued messages and pings, each under a deadline; a
// close frame when the bridge stops.
func (b *wsBridge) writeLoop(p *wsPeer) {
	defer close(p.done)
	t := b.s.ws.timings
	ping := time.NewTicker(t.ping)
	defer ping.Stop()
	for {
		select {
		case f := <-p.out:
			_ = p.conn.SetWriteDeadline(time.Now().Add(t.write))
			if err := p.conn.WriteMessage(f.typ, f.data); err != nil {
				b.stop(websocket.CloseGoingAway, "write failed")
				return
			}
		case <-ping.C:
			if err := p.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(t.write)); err != nil {
				b.stop(websocket.CloseGoingAway, "ping failed")
				return
			}
		case <-b.ctx.Done():
			deadline := time.Now().Add(t.write)
			code, text := b.closeCode, b.closeText
			if p != b.gw { // the backend (b.be is the gateway reader's to read)
				code, text = websocket.CloseNormalClosure, ""
			} else {
				writeQueued(p, deadline) // e.g. the error reply queued just before the stop
			}
			_ = p.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), deadline)
			return
		}
	}
}

// writeQueued writes the messages already queued for p, all before deadline.
func writeQueued(p *wsPeer, deadline time.Time) {
	_ = p.conn.SetWriteDeadline(deadline)
	for {
		select {
		case f := <-p.out:
			if p.conn.WriteMessage(f.typ, f.data) != nil {
				return
			}
		default:
			return
		}
	}
}

// send queues f for p's writer; it blocks while the queue is full (backpressure on the other
// side's reader) and gives up when the bridge stops.
func (b *wsBridge) send(p *wsPeer, f wsFrame) bool {
	select {
	case p.out <- f:
		return true
	case <-b.ctx.Done():
		return false
	}
}

// readGateway reads gateway messages until the connection fails or the bridge stops.
func (b *wsBridge) readGateway() {
	for {
		typ, data, err := b.gw.conn.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				b.svc.received.Inc()
				b.svc.rejected[reasonBodyTooLarge].Inc()
				b.stop(websocket.CloseMessageTooBig, "relay request over the service's body limit")
			}
			b.stop(websocket.CloseNormalClosure, "")
			return
		}
		_ = b.gw.conn.SetReadDeadline(time.Now().Add(b.s.ws.timings.pongWait))
		b.m.read(wsRequest, len(data))
		b.svc.received.Inc()
		if !b.onRequest(typ, data) {
			return
		}
	}
}

// readBackend reads backend messages until the connection fails or the bridge stops.
func (b *wsBridge) readBackend() {
	for {
		_, data, err := b.be.conn.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				b.responseTooLarge()
			}
			b.stop(websocket.CloseGoingAway, "backend connection closed")
			return
		}
		_ = b.be.conn.SetReadDeadline(time.Now().Add(b.s.ws.timings.pongWait))
		b.m.read(wsResponse, len(data))
		if !b.onResponse(data) {
			return
		}
	}
}

// onRequest admits one gateway message and forwards its payload; false ends the reader.
func (b *wsBridge) onRequest(typ int, data []byte) bool {
	req, err := parseRelayRequest(data)
	if req == nil { // not a RelayRequest at all: never forwarded, and the connection ends
		b.refuse(nil, err)
		b.stop(websocket.ClosePolicyViolation, "message is not a relay request")
		return false
	}
	if err != nil {
		return b.refuse(req.Meta.SessionHeader, err)
	}
	p, err := b.admitRequest(req)
	if err != nil {
		return b.refuse(req.Meta.SessionHeader, err)
	}
	if b.be == nil {
		if err := b.connectBackend(); err != nil {
			b.refundUnused(&postJob{s: b.s, svc: b.svc, req: req, metered: p.metered})
			b.refuse(req.Meta.SessionHeader, err)
			b.stop(websocket.CloseTryAgainLater, "backend unreachable")
			return false
		}
	}
	b.setLatest(p)
	return b.send(b.be, wsFrame{typ: typ, data: req.Payload})
}

// admitRequest checks a decoded request against the connection and, for eager services,
// validates it and charges the meter.
func (b *wsBridge) admitRequest(req *servicetypes.RelayRequest) (*wsPending, error) {
	h := req.Meta.SessionHeader
	if h.ServiceId != b.svc.id || h.ApplicationAddress != b.app {
		return nil, reject(reasonInvalidSession, "relay of %s/%s on a connection of %s/%s", h.ApplicationAddress, h.ServiceId, b.app, b.svc.id)
	}
	signer, ok := b.s.keys.Signer(req.Meta.SupplierOperatorAddress)
	if !ok {
		return nil, reject(reasonUnknownSupplier, "no key for supplier %s", req.Meta.SupplierOperatorAddress)
	}
	p := &wsPending{req: req, signer: signer}
	switch {
	case b.svc.eager:
		var err error
		if p.entry, p.metered, err = b.s.eagerChecks(b.ctx, req); err != nil {
			return nil, err
		}
	case b.be == nil:
		// An optimistic service forwards before validating, but not the request that would
		// open the backend connection: that one authenticates first. Its meter charge stays
		// with post-response work, as for every optimistic relay.
		if _, err := b.s.v.validate(b.ctx, req); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// onResponse signs one backend message as the answer to the latest request, sends it to the
// gateway as a binary message (a RelayResponse is not UTF-8 text, whatever the backend's message
// type) and hands the pair off; false ends the reader.
func (b *wsBridge) onResponse(data []byte) bool {
	p, metered := b.takeLatest()
	if p == nil { // nothing to pair with (a backend greeting): it cannot be signed for anyone
		return true
	}
	h := p.req.Meta.SessionHeader
	if len(data) == 0 { // an empty payload cannot carry a payload hash
		b.refundUnused(&postJob{s: b.s, svc: b.svc, req: p.req, metered: metered})
		return b.refuse(h, reject(reasonBackendError, "backend sent an empty message"))
	}
	resp, err := signResponse(p.signer, h, data)
	if err != nil {
		b.refundUnused(&postJob{s: b.s, svc: b.svc, req: p.req, metered: metered})
		return b.refuse(h, err)
	}
	bz, err := resp.Marshal()
	if err != nil {
		return b.refuse(h, rejectWrap(reasonInternal, err))
	}
	job := &postJob{s: b.s, svc: b.svc, req: p.req, resp: resp, height: b.s.heights.Height(), metered: metered}
	if metered { // the eager charge of this request pays for this relay; later ones revalidate
		job.entry = p.entry
	}
	if !b.send(b.gw, wsFrame{typ: websocket.BinaryMessage, data: bz}) {
		b.s.refundLater(job)
		return false
	}
	b.svc.served.Inc()
	b.m.relays.Inc()
	b.s.handOff(job)
	return true
}

// responseTooLarge refuses the backend message that went over the websocket backend's
// max_response_bytes as the synchronous path refuses an oversized body (backend_response_too_large,
// rejected as backend_error): the gateway gets the error RelayResponse for the latest request,
// whose unused meter charge is given back, and the bridge closes, since the backend connection
// cannot be read past the message (gorilla has already answered the backend with 1009).
func (b *wsBridge) responseTooLarge() {
	var h *sessiontypes.SessionHeader
	if p, metered := b.takeLatest(); p != nil {
		h = p.req.Meta.SessionHeader
		if metered {
			b.refundUnused(&postJob{s: b.s, svc: b.svc, req: p.req, metered: true})
		}
	}
	limit := b.svc.maxResponse(config.RPCWebSocket)
	b.refuse(h, backendReject(&backend.Error{Reason: backend.ReasonTooLarge, Service: b.svc.id,
		RPCType: string(config.RPCWebSocket), Err: fmt.Errorf("message over the %d byte limit", limit)}))
	b.stop(websocket.CloseGoingAway, "backend message over max_response_bytes")
}

// refuse answers a refused gateway message with the error RelayResponse and counts it once.
func (b *wsBridge) refuse(h *sessiontypes.SessionHeader, err error) bool {
	r := reasonOf(err)
	b.svc.rejected[r].Inc()
	if e := b.s.log.Debug(); e.Enabled() {
		e.Str("service", b.svc.id).Str("reason", r.String()).Err(err).Msg("websocket relay rejected")
	}
	bz, mErr := errorResponse(err, h).Marshal()
	if mErr != nil {
		return true
	}
	return b.send(b.gw, wsFrame{typ: websocket.BinaryMessage, data: bz})
}

// setLatest makes p the counterpart of the next backend messages; an unused eager meter
// charge of the request it replaces is given back.
func (b *wsBridge) setLatest(p *wsPending) {
	b.mu.Lock()
	old := b.latest
	b.latest = p
	var refund *postJob
	if old != nil && old.metered {
		refund = &postJob{s: b.s, svc: b.svc, req: old.req, metered: true}
		old.metered = false
	}
	b.mu.Unlock()
	if refund != nil { // not refundUnused(nil): that would refund p's own charge
		b.s.refundLater(refund)
	}
}

// takeLatest returns the latest request and whether this response takes its meter charge.
func (b *wsBridge) takeLatest() (*wsPending, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.latest
	if p == nil {
		return nil, false
	}
	metered := p.metered
	p.metered = false
	return p, metered
}

// refundUnused gives back a meter charge no relay used: j's, or with j nil, the latest
// request's (when the bridge ends).
func (b *wsBridge) refundUnused(j *postJob) {
	if j == nil {
		b.mu.Lock()
		if p := b.latest; p != nil && p.metered {
			j = &postJob{s: b.s, svc: b.svc, req: p.req, metered: true}
			p.metered = false
		}
		b.mu.Unlock()
	}
	if j != nil {
		b.s.refundLater(j)
	}
}
