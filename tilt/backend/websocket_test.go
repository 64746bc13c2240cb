package backend

import (
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

func dialWS(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.DialContext(t.Context(), "ws"+strings.TrimPrefix(url, "http"), nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	resp.Body.Close()
	t.Cleanup(func() { c.Close() })
	return c
}

func readText(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	mt, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if mt != websocket.TextMessage {
		t.Fatalf("message type %d, want text", mt)
	}
	return string(b)
}

func TestWebSocketEcho(t *testing.T) {
	_, ts := start(t, Config{})
	c := dialWS(t, ts.URL+"/ws")
	for _, m := range []string{"hello", `{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}`} {
		if err := c.WriteMessage(websocket.TextMessage, []byte(m)); err != nil {
			t.Fatal(err)
		}
		if got := readText(t, c); got != m {
			t.Fatalf("echo %q, want %q", got, m)
		}
	}
	if err := c.WriteMessage(websocket.BinaryMessage, []byte{0, 1, 2}); err != nil {
		t.Fatal(err)
	}
	if mt, b, err := c.ReadMessage(); err != nil || mt != websocket.BinaryMessage || len(b) != 3 {
		t.Fatalf("binary echo: %d %v %v", mt, b, err)
	}
}

func TestWebSocketSubscribe(t *testing.T) {
	_, ts := start(t, Config{})
	c := dialWS(t, ts.URL+"/ws?count=3&interval=1ms")
	if err := c.WriteMessage(websocket.TextMessage, []byte(`{"jsonrpc":"2.0","id":5,"method":"eth_subscribe","params":["newHeads"]}`)); err != nil {
		t.Fatal(err)
	}
	if got, want := readText(t, c), `{"jsonrpc":"2.0","id":5,"result":"0x1"}`; got != want {
		t.Fatalf("subscribe reply %q, want %q", got, want)
	}
	for i := 1; i <= 3; i++ {
		got := readText(t, c)
		want := `{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0x1","result":{"n":` + string(rune('0'+i)) + `}}}`
		if got != want {
			t.Fatalf("notification %d: %q, want %q", i, got, want)
		}
	}
	// The connection still echoes after the subscription finished.
	if err := c.WriteMessage(websocket.TextMessage, []byte("after")); err != nil {
		t.Fatal(err)
	}
	if got := readText(t, c); got != "after" {
		t.Fatalf("echo after subscription: %q", got)
	}
}

func TestWebSocketPush(t *testing.T) {
	_, ts := start(t, Config{Count: 2})
	c := dialWS(t, ts.URL+"/ws?mode=push")
	for i, want := range []string{`{"n":1}`, `{"n":2}`} {
		if got := readText(t, c); got != want {
			t.Fatalf("push %d: %q, want %q", i, got, want)
		}
	}
}

// TestWebSocketCloseEndsConnections checks that Server.Close ends hijacked connections, which
// http.Server.Shutdown cannot see, including one in the middle of a long push.
func TestWebSocketCloseEndsConnections(t *testing.T) {
	s, ts := start(t, Config{})
	c := dialWS(t, ts.URL+"/ws?mode=push&count=2&interval=1h")
	if got := readText(t, c); got != `{"n":1}` {
		t.Fatalf("first push %q", got)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, _, err := c.ReadMessage(); err == nil {
		t.Fatal("connection still open after Server.Close")
	}
}
