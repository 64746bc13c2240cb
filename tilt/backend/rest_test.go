package backend

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func get(t *testing.T, c *http.Client, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func TestREST(t *testing.T) {
	_, ts := start(t, Config{Status: 500}) // health ignores knobs; the others honour the default
	c := client(t)
	tests := []struct {
		path       string
		wantStatus int
		want       string
	}{
		{"/health", 200, `{"status":"ok"}`},
		{"/v1/status?status=200", 200, `"syncing":false`},
		{"/v1/blocks/42?status=200", 200, `{"height":42,`},
		{"/v1/blocks/x", 404, `height`},
		{"/bytes/3?status=200", 200, `xxx`},
		{"/bytes/-1", 400, `n must be`},
		{"/v1/status", 500, `"height":`},
		{"/nowhere", 405, ``}, // POST answers JSON-RPC on every path
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			status, _, body := get(t, c, ts.URL+tt.path)
			if status != tt.wantStatus || !strings.Contains(body, tt.want) {
				t.Fatalf("got %d %q, want %d containing %q", status, body, tt.wantStatus, tt.want)
			}
		})
	}
}

func TestRESTEchoKeepsContentType(t *testing.T) {
	_, ts := start(t, Config{})
	req, _ := http.NewRequest(http.MethodPut, ts.URL+"/v1/echo", strings.NewReader("<a/>"))
	req.Header.Set("Content-Type", "application/xml")
	resp, err := client(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "<a/>" || resp.Header.Get("Content-Type") != "application/xml" {
		t.Fatalf("got %q (%s)", b, resp.Header.Get("Content-Type"))
	}
}

func TestDelayEndsWithClient(t *testing.T) {
	_, ts := start(t, Config{})
	ctx, cancel := contextWithCancel(t)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/v1/status?delay=1h", nil)
	errc := make(chan error, 1)
	go func() {
		resp, err := client(t).Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("request with a 1h delay returned without error after cancel")
	}
}
