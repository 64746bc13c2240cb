package querytest

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/gorilla/websocket"

	"github.com/shannon-ops/pocket-relay-miner/query"
)

// Comet is a fake CometBFT RPC: /status, /abci_info, /blockchain and a /websocket that
// streams NewBlockHeader events, with real header hashes. Blocks exist only once produced.
type Comet struct {
	// URL is the http://127.0.0.1:port base of the RPC.
	URL string

	srv *httptest.Server

	mu        sync.Mutex
	headers   map[int64]cmttypes.Header
	latest    int64
	skipWS    map[int64]bool
	refuseWS  bool
	conns     map[*websocket.Conn]chan []byte
	calls     map[string]int
	failHTTP  map[string]int
	version   string
	wsStarted int
}

// StartComet serves a fake RPC until t ends. No block exists until Produce.
func StartComet(t testing.TB) *Comet {
	t.Helper()
	c := &Comet{
		headers:  map[int64]cmttypes.Header{},
		skipWS:   map[int64]bool{},
		conns:    map[*websocket.Conn]chan []byte{},
		calls:    map[string]int{},
		failHTTP: map[string]int{},
		version:  "v0.1.35",
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/status", c.status)
	mux.HandleFunc("/abci_info", c.abciInfo)
	mux.HandleFunc("/blockchain", c.blockchain)
	mux.HandleFunc("/websocket", c.websocket)
	c.srv = httptest.NewServer(mux)
	c.URL = c.srv.URL
	t.Cleanup(func() {
		c.DropWebsockets()
		c.srv.CloseClientConnections()
		c.srv.Close()
	})
	return c
}

// Header builds the deterministic header of height h.
func Header(h int64) cmttypes.Header {
	vh := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(h)))
	return cmttypes.Header{
		ChainID:         "pocket",
		Height:          h,
		Time:            time.Unix(1_700_000_000+h, 0).UTC(),
		ValidatorsHash:  vh[:],
		ProposerAddress: vh[:20],
	}
}

// BlockOf returns the block (height, real header hash, time) of height h.
func BlockOf(h int64) query.Block {
	hd := Header(h)
	return query.Block{Height: h, Hash: hd.Hash(), Time: hd.Time}
}

// Produce commits the next n blocks and sends each one's NewBlockHeader to every websocket
// subscriber, except heights marked with SkipOnWebsocket.
func (c *Comet) Produce(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for range n {
		c.latest++
		h := Header(c.latest)
		c.headers[c.latest] = h
		if c.skipWS[c.latest] {
			continue
		}
		msg := eventMessage(h)
		for _, ch := range c.conns {
			select {
			case ch <- msg:
			default: // a subscriber that does not read loses events, as on a real node
			}
		}
	}
}

// Latest returns the last produced height.
func (c *Comet) Latest() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.latest
}

// SkipOnWebsocket makes the websocket not announce heights (they are still committed).
func (c *Comet) SkipOnWebsocket(heights ...int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, h := range heights {
		c.skipWS[h] = true
	}
}

// DropWebsockets closes every websocket connection.
func (c *Comet) DropWebsockets() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for conn, ch := range c.conns {
		close(ch)
		_ = conn.Close()
		delete(c.conns, conn)
	}
}

// RefuseWebsockets makes new websocket upgrades fail with 503 (on) or succeed (off).
func (c *Comet) RefuseWebsockets(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refuseWS = on
}

// WebsocketSessions returns how many websocket subscriptions were accepted so far.
func (c *Comet) WebsocketSessions() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wsStarted
}

// Calls returns how many requests route ("status", "blockchain", …) received.
func (c *Comet) Calls(route string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[route]
}

// FailHTTP makes the next n requests of route answer 503.
func (c *Comet) FailHTTP(route string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failHTTP[route] += n
}

// SetVersion sets the application version /abci_info reports.
func (c *Comet) SetVersion(v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.version = v
}

func (c *Comet) enter(w http.ResponseWriter, route string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[route]++
	if c.failHTTP[route] > 0 {
		c.failHTTP[route]--
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return false
	}
	return true
}

func writeResult(w http.ResponseWriter, result any) {
	raw, err := cmtjson.Marshal(result)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": -1, "result": json.RawMessage(raw)})
}

func writeRPCError(w http.ResponseWriter, data string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusInternalServerError)
	_ = json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": -1,
		"error": map[string]any{"code": -32603, "message": "Internal error", "data": data}})
}

func (c *Comet) status(w http.ResponseWriter, _ *http.Request) {
	if !c.enter(w, "status") {
		return
	}
	c.mu.Lock()
	h := c.headers[c.latest]
	latest := c.latest
	c.mu.Unlock()
	type syncInfo struct {
		LatestBlockHash   string    `json:"latest_block_hash"`
		LatestBlockHeight int64     `json:"latest_block_height"`
		LatestBlockTime   time.Time `json:"latest_block_time"`
		CatchingUp        bool      `json:"catching_up"`
	}
	si := syncInfo{LatestBlockHeight: latest, LatestBlockTime: h.Time}
	if latest > 0 {
		si.LatestBlockHash = hex.EncodeToString(h.Hash())
	}
	writeResult(w, struct {
		SyncInfo syncInfo `json:"sync_info"`
	}{si})
}

func (c *Comet) abciInfo(w http.ResponseWriter, _ *http.Request) {
	if !c.enter(w, "abci_info") {
		return
	}
	c.mu.Lock()
	v, latest := c.version, c.latest
	c.mu.Unlock()
	type resp struct {
		Data            string `json:"data"`
		Version         string `json:"version"`
		AppVersion      uint64 `json:"app_version"`
		LastBlockHeight int64  `json:"last_block_height"`
	}
	writeResult(w, struct {
		Response resp `json:"response"`
	}{resp{Data: "pocket", Version: v, AppVersion: 1, LastBlockHeight: latest}})
}

// blockchain mirrors CometBFT's /blockchain: clamp max to the latest height, at most 20
// metas, newest first, an error when min > max.
func (c *Comet) blockchain(w http.ResponseWriter, r *http.Request) {
	if !c.enter(w, "blockchain") {
		return
	}
	minH, _ := strconv.ParseInt(r.URL.Query().Get("minHeight"), 10, 64)
	maxH, _ := strconv.ParseInt(r.URL.Query().Get("maxHeight"), 10, 64)
	c.mu.Lock()
	defer c.mu.Unlock()
	if minH == 0 {
		minH = 1
	}
	if maxH == 0 || maxH > c.latest {
		maxH = c.latest
	}
	minH = max(minH, maxH-20+1)
	if minH > maxH {
		writeRPCError(w, fmt.Sprintf("min height %d can't be greater than max height %d", minH, maxH))
		return
	}
	type blockID struct {
		Hash string `json:"hash"`
	}
	type meta struct {
		BlockID blockID         `json:"block_id"`
		Header  cmttypes.Header `json:"header"`
		NumTxs  int64           `json:"num_txs"`
	}
	var metas []meta
	for h := maxH; h >= minH; h-- {
		hd := c.headers[h]
		metas = append(metas, meta{BlockID: blockID{Hash: hex.EncodeToString(hd.Hash())}, Header: hd})
	}
	writeResult(w, struct {
		LastHeight int64  `json:"last_height"`
		BlockMetas []meta `json:"block_metas"`
	}{c.latest, metas})
}

var upgrader = websocket.Upgrader{}

func (c *Comet) websocket(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	refuse := c.refuseWS
	c.mu.Unlock()
	if refuse {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	var sub struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	if err := conn.ReadJSON(&sub); err != nil || sub.Method != "subscribe" {
		return
	}
	ch := make(chan []byte, 256)
	c.mu.Lock()
	c.conns[conn] = ch
	c.wsStarted++
	c.mu.Unlock()
	_ = conn.WriteMessage(websocket.TextMessage, []byte(`{"jsonrpc":"2.0","id":`+string(sub.ID)+`,"result":{}}`))
	go func() { // drain client frames so close frames and pings are handled
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				c.mu.Lock()
				if ch, ok := c.conns[conn]; ok {
					close(ch)
					delete(c.conns, conn)
				}
				c.mu.Unlock()
				return
			}
		}
	}()
	for msg := range ch {
		if err := conn.WriteMessage(websocket.TextMessage, msg); err != nil {
			return
		}
	}
}

func eventMessage(h cmttypes.Header) []byte {
	data, err := cmtjson.Marshal(cmttypes.EventDataNewBlockHeader{Header: h})
	if err != nil {
		panic(err)
	}
	msg, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "result": map[string]any{
		"query": "tm.event='NewBlockHeader'", "data": json.RawMessage(data), "events": map[string]any{},
	}})
	return msg
}
