package backend

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
)

func contextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	return ctx, cancel
}

func TestStreams(t *testing.T) {
	_, ts := start(t, Config{})
	c := client(t)
	tests := []struct {
		path, ctype string
		want        string
	}{
		{"/stream/sse?count=3&interval=1ms", "text/event-stream", "id: 1\ndata: {\"n\":1}\n\nid: 2\ndata: {\"n\":2}\n\nid: 3\ndata: {\"n\":3}\n\n"},
		{"/stream/ndjson?count=3", "application/x-ndjson", "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n"},
		{"/stream/ndjson?count=1&size=2", "application/x-ndjson", "{\"n\":1,\"data\":\"xx\"}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			status, h, body := get(t, c, ts.URL+tt.path)
			if status != 200 || h.Get("Content-Type") != tt.ctype || body != tt.want {
				t.Fatalf("got %d %s %q, want %q", status, h.Get("Content-Type"), body, tt.want)
			}
		})
	}
}

// TestStreamsFlushEachEvent proves events are flushed as produced: with an hour between
// events, the first one must still arrive.
func TestStreamsFlushEachEvent(t *testing.T) {
	_, ts := start(t, Config{})
	for _, path := range []string{"/stream/sse", "/stream/ndjson"} {
		t.Run(path, func(t *testing.T) {
			ctx, cancel := contextWithCancel(t)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+path+"?count=2&interval=1h", nil)
			resp, err := client(t).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			line, err := bufio.NewReader(resp.Body).ReadString('\n')
			if err != nil || !strings.Contains(line, "1") {
				t.Fatalf("first event: %q, %v", line, err)
			}
		})
	}
}
