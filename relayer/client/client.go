package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	apptypes "github.com/pokt-network/poktroll/x/application/types"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	sdktypes "github.com/pokt-network/shannon-sdk/types"

	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"

	"github.com/shannon-ops/pocket-relay-miner/query"
	"github.com/shannon-ops/pocket-relay-miner/relayer/ring"
)

// Defaults for the zero fields of Config.
const (
	DefaultTimeout          = 30 * time.Second
	DefaultMaxResponseBytes = 16 << 20
	DefaultPollInterval     = time.Second
)

// Chain is what the client asks the chain; *query.Client implements it.
type Chain interface {
	Session(ctx context.Context, app, service string, height int64) (*sessiontypes.Session, error)
	Application(ctx context.Context, address string) (*apptypes.Application, error)
	Account(ctx context.Context, address string) (query.Account, error)
	Status(ctx context.Context) (query.Status, error)
}

// Config says whom to relay to, as whom, and what.
type Config struct {
	Chain   Chain  // required
	App     string // application address; required
	Service string // service id; required
	// Supplier restricts relays to this supplier operator; "" sends to every supplier of the
	// session in turn.
	Supplier string
	// Endpoint overrides the relay miner URL; "" uses each supplier's staked endpoint for the
	// payload's rpc type.
	Endpoint string
	// Key signs the relays: the application's own key or that of a gateway it delegates to.
	Key *Key
	// Payload is the backend request every relay carries.
	Payload Payload
	// Timeout bounds one relay's HTTP exchange. Default DefaultTimeout (30s).
	Timeout time.Duration
	// MaxResponseBytes bounds a relay miner's answer. Default DefaultMaxResponseBytes (16 MiB).
	MaxResponseBytes int64
	// MaxConns bounds the connections kept to each relay miner (set it to the concurrency).
	// Default 16.
	MaxConns int
	// Connections is the number of WebSocket connections kept to each relay miner; relays go
	// to them in turn. Default 1. WebSocket only.
	Connections int
	// Expect is the number of responses each WebSocket frame is answered with (more than 1 for
	// subscriptions). Default 1. WebSocket only.
	Expect int
}

// Client builds, ring-signs, sends and verifies relays. Do is safe for concurrent use.
type Client struct {
	cfg      Config
	rpcType  sharedtypes.RPCType
	payload  []byte
	http     *http.Client
	ws       *wsPool // websocket only
	verifier *ring.Verifier

	state atomic.Pointer[sessionState]

	mu       sync.Mutex
	pubKeys  map[string]cryptotypes.PubKey
	sessions []SessionInfo // every session used, oldest first
}

// New validates cfg and builds the client. It does no I/O; Start fetches the session.
func New(cfg Config) (*Client, error) {
	var errs []error
	if cfg.Chain == nil {
		errs = append(errs, errors.New("no chain client"))
	}
	if cfg.App == "" || cfg.Service == "" {
		errs = append(errs, errors.New("an application address and a service id are required"))
	}
	if cfg.Key == nil {
		errs = append(errs, errors.New("a signing key (application or gateway) is required"))
	}
	rt, err := cfg.Payload.Transport.RPCType()
	if err != nil {
		errs = append(errs, err)
	}
	_, payload, err := cfg.Payload.Marshal()
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 16
	}
	if cfg.Connections <= 0 {
		cfg.Connections = 1
	}
	if cfg.Expect <= 0 {
		cfg.Expect = 1
	}
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        cfg.MaxConns * 4,
		MaxIdleConnsPerHost: cfg.MaxConns,
		MaxConnsPerHost:     cfg.MaxConns,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   false,
	}
	c := &Client{
		cfg: cfg, rpcType: rt, payload: payload,
		http:     &http.Client{Transport: tr, Timeout: cfg.Timeout},
		verifier: ring.New(ring.Config{}),
		pubKeys:  map[string]cryptotypes.PubKey{},
	}
	if cfg.Payload.Transport == TransportWebSocket {
		c.ws = newWSPool(c)
	}
	return c, nil
}

// Close releases idle connections and closes WebSocket connections.
func (c *Client) Close() {
	c.http.CloseIdleConnections()
	if c.ws != nil {
		c.ws.close()
	}
}

// Transport is the transport of the client's relays.
func (c *Client) Transport() Transport { return c.cfg.Payload.Transport }

// Dials is the number of WebSocket connections opened so far (reconnections included).
func (c *Client) Dials() int64 {
	if c.ws == nil {
		return 0
	}
	return c.ws.dials.Load()
}

// Start fetches the current session; call it before Do.
func (c *Client) Start(ctx context.Context) error {
	st, err := c.loadSession(ctx, 0)
	if err != nil {
		return err
	}
	c.setState(st)
	return nil
}

func (c *Client) setState(st *sessionState) {
	st.since = time.Now()
	if cur := c.state.Load(); cur != nil {
		cur.prev.Store(nil) // keep one session back, not the whole history
		st.prev.Store(cur)
	}
	c.state.Store(st)
	c.mu.Lock()
	c.sessions = append(c.sessions, st.info())
	c.mu.Unlock()
}

// Sessions lists the sessions the client used, oldest first.
func (c *Client) Sessions() []SessionInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]SessionInfo(nil), c.sessions...)
}

// Watch follows the chain height every interval (default DefaultPollInterval) and, once it
// passes the current session's end, switches to the session that contains it. Relays built
// before the switch carry the old header, which the relay miner accepts during the grace
// period. It returns when ctx ends; errors fetching the height or the next session are
// retried at the next tick and reported to onErr (may be nil).
func (c *Client) Watch(ctx context.Context, interval time.Duration, onErr func(error)) {
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if err := c.Refresh(ctx); err != nil && ctx.Err() == nil && onErr != nil {
			onErr(err)
		}
	}
}

// Refresh switches to the next session when the chain height has passed the current
// session's end. It reports whether it switched.
func (c *Client) Refresh(ctx context.Context) error {
	st, err := c.cfg.Chain.Status(ctx)
	if err != nil {
		return fmt.Errorf("chain height: %w", err)
	}
	cur := c.state.Load()
	if cur != nil && st.LatestHeight <= cur.header.SessionEndBlockHeight {
		return nil
	}
	next, err := c.loadSession(ctx, st.LatestHeight)
	if err != nil {
		return err
	}
	c.setState(next)
	return nil
}

// Timings are the phases of one relay.
type Timings struct {
	Build   time.Duration // RelayRequest assembly and its signable hash
	Sign    time.Duration // the ring signature and the final marshal
	Network time.Duration // POST to the relay miner until its whole answer is read
	Verify  time.Duration // decoding and checking the supplier's signature
}

// Result is one relay as sent and as answered.
type Result struct {
	Transport    Transport
	Supplier     string
	Endpoint     string
	Header       *sessiontypes.SessionHeader
	Request      *servicetypes.RelayRequest
	RequestBytes int
	// HTTPStatus is the relay miner's HTTP status; Response and HTTP are set once decoded.
	HTTPStatus int
	Response   *servicetypes.RelayResponse
	HTTP       *sdktypes.POKTHTTPResponse
	// SignatureVerified is true when the supplier's signature (and the payload hash) checked.
	SignatureVerified bool
	Timings           Timings

	// Streams and WebSocket: Frames is the number of verified stream frames or WebSocket
	// responses; FirstFrame the time from sending to the first frame (streams).
	Frames     int
	FirstFrame time.Duration
	// ContentType is the Content-Type of a streamed answer.
	ContentType string
	// TrailerVerified: the stream's Pocket-Relay-Response trailer (the mined response) verified.
	TrailerVerified bool
	// Messages are the backend messages of a WebSocket relay's responses, in order.
	Messages [][]byte
	// Resent: the WebSocket frame was sent again on a new connection after its first one closed.
	Resent bool
	// PreviousSession: the relay was refused in the new session just after a switch and sent
	// again in the previous one.
	PreviousSession bool
	// GRPCStatus and GRPCMessage are the grpc-status and grpc-message of a gRPC answer.
	GRPCStatus, GRPCMessage string
}

// PreviousSessionWindow is how long after a session switch a relay the relay miner refuses
// as of an invalid session (relay_authenticator/1) is sent again in the previous session:
// a relay miner that follows blocks a little behind the node the client polls does not know
// the new session yet, and still accepts the previous one (its grace period).
const PreviousSessionWindow = 30 * time.Second

// Do sends one relay in the current session and verifies the answer. A relay that did not
// end with a verified, decoded response is an *Error; the Result is returned in both cases
// with whatever was learned. Just after a session switch, a relay refused as of an invalid
// session is sent again, once, in the previous session (Result.PreviousSession).
func (c *Client) Do(ctx context.Context) (*Result, error) {
	st := c.state.Load()
	if st == nil {
		return nil, fail(CategoryClient, "", "no session: call Start first")
	}
	res, err := c.doIn(ctx, st)
	if prev := st.prev.Load(); prev != nil && invalidSession(err) && time.Since(st.since) < PreviousSessionWindow && ctx.Err() == nil {
		res, err = c.doIn(ctx, prev)
		res.PreviousSession = true
	}
	return res, err
}

// invalidSession reports a relay miner's refusal of the relay's session.
func invalidSession(err error) bool {
	cat, code := Classify(err)
	return cat == CategoryRelayMinerError && code == "relay_authenticator/1"
}

// doIn sends one relay in session st.
func (c *Client) doIn(ctx context.Context, st *sessionState) (*Result, error) {
	if c.ws != nil {
		res := &Result{Transport: TransportWebSocket}
		return res, c.doWebSocket(ctx, st, res)
	}
	t := st.pick()
	res := &Result{Transport: c.cfg.Payload.Transport, Supplier: t.supplier, Endpoint: t.url, Header: st.header}
	body, err := c.build(st, t, res)
	if err != nil {
		return res, err
	}
	if c.cfg.Payload.Transport == TransportStream {
		return res, c.doStream(ctx, t.url, body, t.pubKey, res)
	}
	start := time.Now()
	raw, err := c.post(ctx, t.url, body, res)
	res.Timings.Network = time.Since(start)
	if err != nil {
		return res, err
	}
	start = time.Now()
	err = verify(raw, res, t.pubKey)
	res.Timings.Verify = time.Since(start)
	if err == nil && c.cfg.Payload.Transport == TransportGRPC {
		err = grpcStatus(res.HTTP, res)
	}
	return res, err
}

// build assembles and signs the RelayRequest (PROTOCOL §2.2) and returns its bytes.
func (c *Client) build(st *sessionState, t *target, res *Result) ([]byte, error) {
	start := time.Now()
	req := &servicetypes.RelayRequest{
		Meta:    servicetypes.RelayRequestMetadata{SessionHeader: st.header, SupplierOperatorAddress: t.supplier},
		Payload: c.payload,
	}
	hash, err := req.GetSignableBytesHash()
	if err != nil {
		return nil, fail(CategoryClient, "", "hash relay request: %w", err)
	}
	mid := time.Now()
	res.Timings.Build = mid.Sub(start)
	sig, err := st.signer.Sign(hash)
	if err != nil {
		return nil, fail(CategoryClient, "", "ring-sign relay request: %w", err)
	}
	req.Meta.Signature = sig
	bz, err := req.Marshal()
	if err != nil {
		return nil, fail(CategoryClient, "", "marshal relay request: %w", err)
	}
	res.Timings.Sign = time.Since(mid)
	res.Request, res.RequestBytes = req, len(bz)
	return bz, nil
}

// post sends the relay and reads the whole answer, bounded by MaxResponseBytes.
func (c *Client) post(ctx context.Context, url string, body []byte, res *Result) ([]byte, error) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fail(CategoryClient, "", "endpoint %q: %w", url, err)
	}
	hreq.Header.Set("Content-Type", "application/x-protobuf")
	hreq.Header.Set("Rpc-Type", strconv.Itoa(int(c.rpcType)))
	resp, err := c.http.Do(hreq)
	if err != nil {
		return nil, &Error{Category: CategoryTransport, Err: err}
	}
	defer resp.Body.Close()
	res.HTTPStatus = resp.StatusCode
	raw, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxResponseBytes+1))
	if err != nil {
		return nil, &Error{Category: CategoryTransport, Err: fmt.Errorf("read answer: %w", err)}
	}
	if int64(len(raw)) > c.cfg.MaxResponseBytes {
		return nil, fail(CategoryTransport, "", "answer larger than %d bytes", c.cfg.MaxResponseBytes)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fail(CategoryHTTPStatus, "miner_"+strconv.Itoa(resp.StatusCode), "relay miner answered %s: %s", resp.Status, snippet(raw))
	}
	return raw, nil
}

// snippet is a short printable prefix of an error body.
func snippet(b []byte) string {
	const max = 200
	if len(b) > max {
		b = b[:max]
	}
	return string(bytes.ToValidUTF8(bytes.TrimSpace(b), []byte("?")))
}
