//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
)

const wsRelays = 8

// startWSRelayer starts our relayer for supplier1 with a websocket backend (the backend-server's
// /ws echo) beside the jsonrpc one, publishing to a fresh redis-server.
func startWSRelayer(t *testing.T, ctx context.Context) *ourRelayer {
	return startRelayerWith(t, ctx, relayerSpec{name: "relayer-ws", scheme: "ws", backends: map[string]string{
		"jsonrpc": chain.BackendURL, "websocket": "ws" + strings.TrimPrefix(chain.BackendURL, "http") + "/ws",
	}})
}

// TestWebSocketRelaysSettle: app1 → our relayer's WebSocket → backend-server's /ws echo →
// Redis → our miner → chain. In one fresh session, app1 (through its gateway's ring) sends N
// ring-signed RelayRequest frames over one connection; every answer is verified with
// supplier1's public key and echoes the frame's payload; the N relays are in supplier1's stream
// with the session the frames named. A frame that is not a RelayRequest is refused with an
// error reply and close 1008, and nothing more is published. The session is then claimed,
// proven (VALIDATED) and settled with num_relays equal to the N relays sent.
func TestWebSocketRelaysSettle(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	r := startWSRelayer(t, ctx)
	m := startMiner(t, ctx, r, "miner-ws")
	waitFor(t, ctx, 60*time.Second, "miner-ws owns supplier1", m.owns)
	t.Logf("relayer and miner ready, supplier owned after %s", time.Since(start).Round(time.Millisecond))

	app, svc := chain.Accounts.Application.Address, chain.ServiceID
	// A fresh session: no rollover mid-test, and no relay of another test's session in ours.
	sess := freshSession(t, ctx)
	// Our relayer follows blocks a little behind the chain: dial once it has reached the session.
	relayerAt := &ourMiner{opsURL: r.opsURL} // only its /metrics reader
	waitFor(t, ctx, 30*time.Second, "relayer reaches the session start", func() bool {
		return relayerAt.metric("relayminer_block_height") >= float64(sess.StartHeight)
	})
	appKey, gwKey := derive(t, chain.Accounts.Application.Mnemonic), derive(t, chain.Accounts.Gateway.Mnemonic)
	supPub := derive(t, chain.Accounts.Supplier.Mnemonic).PubKey()

	hdr := http.Header{"Rpc-Type": {"2"}, "Target-Service-Id": {svc}, "App-Address": {app}}
	c, resp, err := websocket.DefaultDialer.DialContext(ctx, r.url, hdr)
	if err != nil {
		t.Fatalf("dial relayer: %v (%v)\n%s", err, resp, logTail(r.proc))
	}
	resp.Body.Close()
	defer c.Close()
	header := sessiontypes.SessionHeader{
		ApplicationAddress: app, ServiceId: svc, SessionId: sess.ID,
		SessionStartBlockHeight: sess.StartHeight, SessionEndBlockHeight: sess.EndHeight,
	}
	for i := range wsRelays {
		payload := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"eth_blockNumber","params":[]}`, i)
		h := header
		q := &servicetypes.RelayRequest{
			Meta:    servicetypes.RelayRequestMetadata{SessionHeader: &h, SupplierOperatorAddress: chain.Accounts.Supplier.Address},
			Payload: []byte(payload),
		}
		signRequest(t, q, appKey, gwKey)
		bz, err := q.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WriteMessage(websocket.BinaryMessage, bz); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		_, b, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("frame %d: read: %v\n%s", i, err, logTail(r.proc))
		}
		var rr servicetypes.RelayResponse
		if err := rr.Unmarshal(b); err != nil {
			t.Fatalf("frame %d: decode: %v", i, err)
		}
		if rr.RelayMinerError != nil {
			t.Fatalf("frame %d: relay_miner_error %+v", i, rr.RelayMinerError)
		}
		if err := rr.VerifySupplierOperatorSignature(supPub); err != nil {
			t.Fatalf("frame %d: supplier signature: %v", i, err)
		}
		if string(rr.Payload) != payload {
			t.Fatalf("frame %d: payload %q, want the echo %q", i, rr.Payload, payload)
		}
	}
	got := r.waitEntries(t, ctx, wsRelays)
	if len(got) != wsRelays {
		t.Fatalf("stream holds %d relays, want %d", len(got), wsRelays)
	}
	for i, m := range got {
		if m.Supplier != chain.Accounts.Supplier.Address || m.Application != app || m.ServiceID != svc ||
			m.SessionID != sess.ID || m.SessionStartHeight != sess.StartHeight || m.SessionEndHeight != sess.EndHeight {
			t.Fatalf("entry %d: %+v, want session %+v", i, m, sess)
		}
		var relay servicetypes.Relay
		if err := relay.Unmarshal(m.Relay); err != nil || relay.Res.VerifySupplierOperatorSignature(supPub) != nil {
			t.Fatalf("entry %d: mined relay does not verify: %v", i, err)
		}
	}
	t.Logf("%d WebSocket relays served, verified and published to %s for session %s [%d,%d]",
		len(got), r.stream, sess.ID, sess.StartHeight, sess.EndHeight)

	// Not a RelayRequest: refused with an error reply and close 1008; nothing more is published.
	if err := c.WriteMessage(websocket.TextMessage, []byte(`{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}`)); err != nil {
		t.Fatal(err)
	}
	_, b, err := c.ReadMessage()
	var er servicetypes.RelayResponse
	if err != nil || er.Unmarshal(b) != nil || er.RelayMinerError == nil {
		t.Fatalf("raw frame: want an error RelayResponse, got %v", err)
	}
	_, _, err = c.ReadMessage()
	if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
		t.Fatalf("raw frame: want close 1008, got %v", err)
	}
	if n := len(r.entries(t, ctx)); n != wsRelays {
		t.Fatalf("stream holds %d relays after a refused frame, want %d", n, wsRelays)
	}

	// On chain: the session's claim, its VALIDATED proof and its settlement count every relay.
	per := relaysBySessionEnd(got)
	if len(per) != 1 || per[sess.EndHeight] != wsRelays {
		t.Fatalf("relays published per session end %v, want %d for session end %d only", per, wsRelays, sess.EndHeight)
	}
	settled, _ := assertSettled(t, ctx, per)
	if settled != wsRelays {
		t.Fatalf("chain settled %d relays, %d WebSocket relays were sent", settled, wsRelays)
	}
	t.Logf("all %d WebSocket relays settled, test took %s", settled, time.Since(start).Round(time.Millisecond))
}
