package relayer

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gorilla/websocket"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"

	"github.com/shannon-ops/pocket-relay-miner/relayer/backend"
)

// wsSession is what the upgrade established: the application's session at the current
// height, the held supplier of it named to the backend, and when the bridge must close.
type wsSession struct {
	header   sessiontypes.SessionHeader
	supplier string // a supplier of the session whose key is held here
	closeAt  int64  // claim window open height of the session
}

// serveWebSocket serves a WebSocket relay connection: admission (service, session, supplier),
// upgrade, then the bridge until either side goes away, the session's claim window opens or
// the relayer shuts down. Every refusal before the upgrade is an HTTP error carrying the error
// RelayResponse. The upgrade carries no signature (any public application address passes
// admission), so the backend is dialled only once the bridge authenticated the first relay
// request of the connection (wsBridge.connectBackend): an unauthenticated peer never costs a
// backend connection.
func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	svc, up, sess, err := s.admitWebSocket(r)
	if err != nil {
		s.refuseUpgrade(w, svc, err)
		return
	}
	gw, err := s.ws.upgrader.Upgrade(w, r, nil)
	if err != nil { // Upgrade has answered the client
		svc.rejected[reasonMalformed].Inc()
		return
	}
	b := newWSBridge(s, svc, up, sess, gw)
	if !s.ws.register(b) {
		b.closeNow(websocket.CloseGoingAway, "relayer shutting down")
		return
	}
	defer s.ws.unregister(b)
	b.run()
}

// admitWebSocket checks everything that can be checked before the upgrade. The returned
// service is s.unknown until the header names a configured one.
func (s *Server) admitWebSocket(r *http.Request) (*service, *wsUpstream, *wsSession, error) {
	svc := s.unknown
	id, app := r.Header.Get(wsServiceHeader), r.Header.Get(wsAppHeader)
	if known, ok := s.services[id]; ok {
		svc = known
	}
	svc.received.Inc()
	if !websocket.IsWebSocketUpgrade(r) {
		return svc, nil, nil, reject(reasonMalformed, "%s 2 without a WebSocket upgrade", rpcTypeHeader)
	}
	if svc == s.unknown {
		return svc, nil, nil, reject(reasonUnknownService, "service %q is not served here", id)
	}
	up := s.ws.upstreams[id]
	if up == nil {
		return svc, nil, nil, reject(reasonUnsupportedRPCType, "service %s has no %s backend", id, "websocket")
	}
	if app == "" {
		return svc, nil, nil, reject(reasonInvalidRequest, "missing %s header", wsAppHeader)
	}
	sess, err := s.wsSessionOf(r.Context(), app, id)
	return svc, up, sess, err
}

// wsSessionOf returns the session of (app, service) at the current height, requiring one of
// its suppliers to be held here, and its claim window open height.
func (s *Server) wsSessionOf(ctx context.Context, app, service string) (*wsSession, error) {
	cur := s.heights.Height()
	if cur <= 0 {
		return nil, reject(reasonNotReady, "no block height known yet")
	}
	session, err := s.v.chain.Session(ctx, app, service, cur)
	if err != nil {
		return nil, chainError(reasonInvalidSession, "session", err)
	}
	if session.Header == nil {
		return nil, reject(reasonInvalidSession, "no session header for %s at height %d", app, cur)
	}
	ws := &wsSession{header: *session.Header}
	for _, sup := range session.Suppliers {
		if _, ok := s.keys.Signer(sup.OperatorAddress); ok {
			ws.supplier = sup.OperatorAddress
			break
		}
	}
	if ws.supplier == "" {
		return nil, reject(reasonSupplierNotInSession, "no supplier held here is in session %s", ws.header.SessionId)
	}
	end := ws.header.SessionEndBlockHeight
	params, err := s.v.chain.SharedParamsAt(ctx, min(end, cur))
	if err != nil {
		return nil, chainError(reasonInvalidSession, "shared params", err)
	}
	ws.closeAt = sharedtypes.GetClaimWindowOpenHeight(params, end)
	if cur >= ws.closeAt {
		return nil, reject(reasonSessionExpired, "claim window of session %s opened at %d", ws.header.SessionId, ws.closeAt)
	}
	return ws, nil
}

// dialWebSocket opens the backend connection, trying each endpoint once from a rotating start.
func (s *Server) dialWebSocket(ctx context.Context, svc *service, up *wsUpstream, sess *wsSession) (*websocket.Conn, error) {
	h := up.header.Clone()
	hd := &sess.header
	h.Set(backend.HeaderSupplier, sess.supplier)
	h.Set(backend.HeaderService, hd.ServiceId)
	h.Set(backend.HeaderApplication, hd.ApplicationAddress)
	h.Set(backend.HeaderSessionID, hd.SessionId)
	h.Set("Pocket-Session-Start-Height", strconv.FormatInt(hd.SessionStartBlockHeight, 10))
	h.Set("Pocket-Session-End-Height", strconv.FormatInt(hd.SessionEndBlockHeight, 10))
	d := websocket.Dialer{
		HandshakeTimeout: up.timeout, ReadBufferSize: wsBufferSize, WriteBufferSize: wsBufferSize,
		Proxy: http.ProxyFromEnvironment,
	}
	ctx, cancel := context.WithTimeout(ctx, up.timeout)
	defer cancel()
	start := up.next.Add(1)
	var err error
	for i := range uint64(len(up.urls)) {
		var c *websocket.Conn
		var resp *http.Response
		c, resp, err = d.DialContext(ctx, up.urls[(start+i)%uint64(len(up.urls))], h)
		if resp != nil && resp.Body != nil {
			_ = resp.Body.Close()
		}
		if err == nil {
			return c, nil
		}
		if ctx.Err() != nil {
			return nil, reject(reasonBackendTimeout, "dial websocket backend of %s: %w", svc.id, ctx.Err())
		}
	}
	// The error may carry the URL (and its API key): keep it out of the reply.
	s.log.Debug().Str("service", svc.id).Err(err).Msg("websocket backend dial failed")
	return nil, reject(reasonBackendError, "websocket backend of %s unreachable", svc.id)
}

// refuseUpgrade answers a refused upgrade with an HTTP error status and the error
// RelayResponse as body, and counts the rejection once.
func (s *Server) refuseUpgrade(w http.ResponseWriter, svc *service, err error) {
	r := reasonOf(err)
	svc.rejected[r].Inc()
	if e := s.log.Debug(); e.Enabled() {
		e.Str("service", svc.id).Str("reason", r.String()).Err(err).Msg("websocket upgrade refused")
	}
	bz, mErr := errorResponse(err, nil).Marshal()
	if mErr != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd["Content-Type"] = protobufContentType
	hd["Content-Length"] = []string{strconv.Itoa(len(bz))}
	w.WriteHeader(upgradeStatus(r))
	_, _ = w.Write(bz)
}

// upgradeStatus is the HTTP status of a refused upgrade.
func upgradeStatus(r reason) int {
	switch r {
	case reasonMalformed, reasonInvalidRequest, reasonUnsupportedRPCType, reasonBodyTooLarge:
		return http.StatusBadRequest
	case reasonUnknownService:
		return http.StatusNotFound
	case reasonUnknownSupplier, reasonSupplierNotInSession, reasonInvalidSession, reasonSessionExpired, reasonBadSignature:
		return http.StatusForbidden
	case reasonNotReady, reasonChainUnavailable, reasonRingUnavailable, reasonMeterUnavailable:
		return http.StatusServiceUnavailable
	case reasonBackendError:
		return http.StatusBadGateway
	case reasonBackendTimeout:
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}
