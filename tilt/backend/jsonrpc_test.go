package backend

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func post(t *testing.T, c *http.Client, url, body string) (int, http.Header, string) {
	t.Helper()
	resp, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func TestJSONRPC(t *testing.T) {
	_, ts := start(t, Config{})
	c := client(t)
	tests := []struct {
		name, query, body string
		wantStatus        int
		want              string // substring of the body
	}{
		{"blockNumber", "", `{"jsonrpc":"2.0","id":7,"method":"eth_blockNumber","params":[]}`, 200, `{"jsonrpc":"2.0","id":7,"result":"0x1000`},
		{"chainId string id", "", `{"jsonrpc":"2.0","id":"a","method":"eth_chainId"}`, 200, `{"jsonrpc":"2.0","id":"a","result":"0x1"}`},
		{"echo params", "", `{"jsonrpc":"2.0","id":1,"method":"echo","params":{"k":[1,2]}}`, 200, `"result":{"k":[1,2]}}`},
		{"unknown method", "", `{"jsonrpc":"2.0","id":2,"method":"nope"}`, 200, `"error":{"code":-32601,"message":"method not found"}`},
		{"batch", "", `[{"jsonrpc":"2.0","id":1,"method":"net_version"},{"jsonrpc":"2.0","id":2,"method":"eth_chainId"}]`, 200, `[{"jsonrpc":"2.0","id":1,"result":"1"},{"jsonrpc":"2.0","id":2,"result":"0x1"}]`},
		{"parse error", "", `{"jsonrpc":`, 200, `"code":-32700`},
		{"opaque echo", "", `hello relayer`, 200, `hello relayer`},
		{"status knob", "?status=503", `{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}`, 503, `"result":"0x1"`},
		{"error knob", "?error_rate=1&error_status=502", `{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}`, 502, `injected failure`},
		{"bad knob", "?delay=soon", `{}`, 400, `delay`},
		{"size knob", "?size=5", `{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}`, 200, `{"jsonrpc":"2.0","id":1,"result":"xxxxx"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := post(t, c, ts.URL+"/"+tt.query, tt.body)
			if status != tt.wantStatus || !strings.Contains(body, tt.want) {
				t.Fatalf("got %d %q, want %d containing %q", status, body, tt.wantStatus, tt.want)
			}
		})
	}
}

func TestJSONRPCBlockNumberAdvances(t *testing.T) {
	_, ts := start(t, Config{})
	c := client(t)
	var prev string
	for range 3 {
		_, _, body := post(t, c, ts.URL, `{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}`)
		var r struct{ Result string }
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatalf("decode %q: %v", body, err)
		}
		if r.Result == prev {
			t.Fatalf("eth_blockNumber repeated %s", prev)
		}
		prev = r.Result
	}
}

// TestJSONRPCChunkedBody sends the body the way poktroll's relay miner does: chunked, with no
// Content-Length.
func TestJSONRPCChunkedBody(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	seen := make(chan []string, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.TransferEncoding
		s.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	pr, pw := io.Pipe()
	go func() {
		_, _ = io.WriteString(pw, `{"jsonrpc":"2.0","id":9,`)
		_, _ = io.WriteString(pw, `"method":"echo","params":["chunked"]}`)
		_ = pw.Close()
	}()
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = -1
	resp, err := client(t).Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	if te := <-seen; len(te) != 1 || te[0] != "chunked" {
		t.Fatalf("request reached the server with transfer encoding %v, want chunked", te)
	}
	b, _ := io.ReadAll(resp.Body)
	if want := `{"jsonrpc":"2.0","id":9,"result":["chunked"]}`; string(b) != want {
		t.Fatalf("got %q, want %q", b, want)
	}
}

func TestJSONRPCHeaderKnobs(t *testing.T) {
	_, ts := start(t, Config{})
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}`))
	req.Header.Set("X-Backend-Status", "429")
	req.Header.Set("X-Backend-Delay", "20ms")
	resp, err := client(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 {
		t.Fatalf("status %d, want 429", resp.StatusCode)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{{Delay: -1}, {Status: 42}, {ErrorRate: 2}, {Size: MaxSize + 1}, {Count: -1}} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted an invalid config", c)
		}
	}
}

func TestJSONRPCOnAnyPostPath(t *testing.T) {
	_, ts := start(t, Config{})
	status, _, body := post(t, client(t), ts.URL+"/v1/rpc/deep", `{"jsonrpc":"2.0","id":3,"method":"eth_chainId"}`)
	if status != 200 || body != `{"jsonrpc":"2.0","id":3,"result":"0x1"}` {
		t.Fatalf("got %d %q", status, body)
	}
}
