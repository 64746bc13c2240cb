package relayer

import (
	"bytes"
	"testing"

	"github.com/gorilla/websocket"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
)

// FuzzWebSocketFrame: any gateway frame is either a valid relay request, whose payload alone is
// forwarded, or refused with an error RelayResponse and not forwarded; never a panic. The
// bridge runs without connections, as after its backend was dialled: its writers' queues are
// read directly.
func FuzzWebSocketFrame(f *testing.F) {
	fx := withWebSocket(f, "ws://127.0.0.1:1/ws")
	for _, s := range fuzzSeeds(fx) {
		f.Add(s)
	}
	f.Add(fx.frame("hello"))
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}`))
	sess := &wsSession{header: fx.header, supplier: fx.sup, closeAt: 1 << 40}
	svc := fx.srv.services[testService]
	f.Fuzz(func(t *testing.T, frame []byte) {
		b := newWSBridge(fx.srv, svc, fx.srv.ws.upstreams[testService], sess, nil)
		b.be = newWSPeer(nil, fx.srv.ws.timings.queue)
		defer b.cancel()
		b.onRequest(websocket.BinaryMessage, frame)
		select {
		case fwd := <-b.be.out:
			req, err := parseRelayRequest(frame)
			if err != nil {
				t.Fatalf("forwarded a frame that does not parse: %v", err)
			}
			if _, err := fx.srv.v.validate(t.Context(), req); err != nil {
				t.Fatalf("forwarded an invalid relay request: %v", err)
			}
			if !bytes.Equal(fwd.data, req.Payload) {
				t.Fatal("forwarded something other than the payload")
			}
			return
		default:
		}
		select {
		case reply := <-b.gw.out:
			var resp servicetypes.RelayResponse
			if err := resp.Unmarshal(reply.data); err != nil || resp.RelayMinerError == nil {
				t.Fatalf("refusal is not an error RelayResponse: %v", err)
			}
		default:
			t.Fatal("frame neither forwarded nor refused")
		}
	})
}
