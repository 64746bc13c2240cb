package blocks

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/gorilla/websocket"
)

// subscribeRequest is the JSON-RPC call that subscribes to new block headers.
const subscribeRequest = `{"jsonrpc":"2.0","method":"subscribe","id":1,"params":{"query":"tm.event='NewBlockHeader'"}}`

// websocketLoop keeps one subscription open, reconnecting with jittered backoff.
func (f *Feed) websocketLoop(ctx context.Context) {
	failures := 0
	for connects := 0; ctx.Err() == nil; {
		err := f.followWebsocket(ctx, func() {
			if connects > 0 {
				f.m.reconnects.WithLabelValues(string(srcWebsocket)).Inc()
			}
			connects++
			failures = 0
		})
		if ctx.Err() != nil {
			return
		}
		_ = err // the poller covers the outage; the metric shows the reconnects
		failures++
		_ = sleep(ctx, backoff(f.cfg.ReconnectMin, f.cfg.ReconnectMax, failures))
	}
}

// followWebsocket connects, subscribes, and offers every header until the connection fails,
// stays silent for StaleAfter, or ctx ends.
func (f *Feed) followWebsocket(ctx context.Context, connected func()) error {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, _, err := websocket.DefaultDialer.DialContext(dctx, f.cfg.WebsocketURL, nil)
	cancel()
	if err != nil {
		return fmt.Errorf("dial %s: %w", f.cfg.WebsocketURL, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	if err := conn.WriteMessage(websocket.TextMessage, []byte(subscribeRequest)); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	extend := func() { _ = conn.SetReadDeadline(time.Now().Add(f.cfg.StaleAfter)) }
	conn.SetPingHandler(func(data string) error {
		extend()
		return conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	extend()
	subscribed := false
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		extend()
		b, isEvent, err := parseEvent(msg)
		if err != nil {
			return err
		}
		if !subscribed {
			subscribed = true
			connected()
		}
		if isEvent {
			f.offer(b, srcWebsocket)
		}
	}
}

// parseEvent decodes a websocket message. The subscription's acknowledgement is not an event.
// The NewBlockHeader event carries the header but not the block hash; the hash is the
// header's Merkle hash (header.Hash()), computed here. If the header cannot be decoded in
// full, the block is offered without a hash and the feed fetches it by height.
func parseEvent(msg []byte) (Block, bool, error) {
	var env struct {
		Result struct {
			Data struct {
				Type  string `json:"type"`
				Value struct {
					Header json.RawMessage `json:"header"`
				} `json:"value"`
			} `json:"data"`
		} `json:"result"`
		Error *struct {
			Message string `json:"message"`
			Data    string `json:"data"`
		} `json:"error"`
	}
	if err := json.Unmarshal(msg, &env); err != nil {
		return Block{}, false, fmt.Errorf("decode websocket message: %w", err)
	}
	if env.Error != nil {
		return Block{}, false, fmt.Errorf("websocket error: %s: %s", env.Error.Message, env.Error.Data)
	}
	raw := env.Result.Data.Value.Header
	if env.Result.Data.Type == "" || len(raw) == 0 {
		return Block{}, false, nil
	}
	var h cmttypes.Header
	if err := cmtjson.Unmarshal(raw, &h); err == nil && h.Height > 0 {
		return Block{Height: h.Height, Hash: h.Hash(), Time: h.Time}, true, nil
	}
	var minimal struct {
		Height string `json:"height"`
	}
	if err := json.Unmarshal(raw, &minimal); err != nil {
		return Block{}, false, fmt.Errorf("decode header: %w", err)
	}
	height, err := strconv.ParseInt(strings.TrimSpace(minimal.Height), 10, 64)
	if err != nil || height <= 0 {
		return Block{}, false, fmt.Errorf("decode header height %q", minimal.Height)
	}
	return Block{Height: height}, true, nil
}
