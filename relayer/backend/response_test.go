package backend

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	sdktypes "github.com/pokt-network/shannon-sdk/types"
	"google.golang.org/protobuf/proto"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

func TestAppendPOKTMatchesDeterministicMarshal(t *testing.T) {
	cases := []*Response{
		{},
		{StatusCode: 200},
		{StatusCode: 503, Body: []byte("down")},
		{StatusCode: 200, Header: http.Header{
			"Content-Type": {"application/json"},
			"Set-Cookie":   {"a=1", "b=2", ""},
			"X-Empty":      {},
			"":             {"odd"},
		}, Body: bytes.Repeat([]byte("0123456789"), 300)},
	}
	// More header keys than the on-stack array holds.
	many := &Response{StatusCode: 201, Header: http.Header{}}
	for i := range 40 {
		many.Header.Set("X-H"+strings.Repeat("z", i), "v")
	}
	cases = append(cases, many)
	for i, r := range cases {
		want, err := proto.MarshalOptions{Deterministic: true}.Marshal(r.POKT())
		if err != nil {
			t.Fatal(err)
		}
		prefix := []byte("prefix")
		got := r.AppendPOKT(prefix)
		if !bytes.Equal(got[len(prefix):], want) {
			t.Errorf("case %d: encoding differs\n got %x\nwant %x", i, got[len(prefix):], want)
		}
		if r.POKTSize() != len(want) {
			t.Errorf("case %d: POKTSize %d, want %d", i, r.POKTSize(), len(want))
		}
		var back sdktypes.POKTHTTPResponse
		if err := proto.Unmarshal(got[len(prefix):], &back); err != nil || int(back.StatusCode) != r.StatusCode || !bytes.Equal(back.BodyBz, r.Body) {
			t.Errorf("case %d: round trip %v", i, err)
		}
	}
}

func TestChunkedResponseEcho(t *testing.T) {
	// The backend echoes the request body back in chunks, flushing between them.
	s := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).EnableFullDuplex()
		w.Header().Set("Content-Type", "application/octet-stream")
		br := bufio.NewReader(r.Body)
		buf := make([]byte, 7)
		for {
			n, err := io.ReadFull(br, buf)
			_, _ = w.Write(buf[:n])
			w.(http.Flusher).Flush()
			if err != nil {
				return
			}
		}
	}))
	p, _ := newPool(t, backendCfg(s.URL))
	body := strings.Repeat("abcdefghij", 5000) // 50 KB: grows the pooled buffer
	res, err := p.Do(context.Background(), postReq("/", body), Headers{})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	if string(res.Body) != body {
		t.Fatalf("got %d bytes", len(res.Body))
	}
	if res.Header.Get("Transfer-Encoding") != "" || res.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("header %v", res.Header)
	}
}

func TestResponseHopHeadersStripped(t *testing.T) {
	s := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("X-Kept", "1")
		w.Header().Set("Content-Encoding", "gzip") // passed through, not decoded
		_, _ = w.Write([]byte("raw"))
	}))
	p, _ := newPool(t, backendCfg(s.URL))
	res, err := p.Do(context.Background(), &sdktypes.POKTHTTPRequest{}, Headers{})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	if res.Header.Get("Keep-Alive") != "" || res.Header.Get("X-Kept") != "1" || res.Header.Get("Content-Encoding") != "gzip" || string(res.Body) != "raw" {
		t.Errorf("header %v body %q", res.Header, res.Body)
	}
}

func TestReadBodyPoolsSmallBuffersOnly(t *testing.T) {
	small, err := readBody(strings.NewReader("hello"), -1, 1<<30)
	if err != nil || string(*small) != "hello" {
		t.Fatal(err)
	}
	putBuf(small)
	big, err := readBody(bytes.NewReader(make([]byte, 2<<20)), 2<<20, 1<<30)
	if err != nil || len(*big) != 2<<20 {
		t.Fatal(err)
	}
	putBuf(big) // dropped: over maxPooledBufSize
	if _, err := readBody(strings.NewReader("123456"), -1, 5); !errors.Is(err, errTooLarge) {
		t.Fatalf("got %v", err)
	}
	if _, err := readBody(strings.NewReader(""), 6, 5); !errors.Is(err, errTooLarge) {
		t.Fatalf("content-length over the cap: %v", err)
	}
}

func TestDoStream(t *testing.T) {
	next := make(chan struct{})
	s := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		for i := range 3 {
			_, _ = io.WriteString(w, "data: "+string(rune('a'+i))+"\n\n")
			w.(http.Flusher).Flush()
			select {
			case <-next:
			case <-r.Context().Done():
				return
			}
		}
	}))
	cfg := backendCfg(deadURL(t), s.URL)
	cfg.Selection = config.SelectFirstHealthy
	cfg.Timeout = 100 * time.Millisecond // bounds the headers only
	p, _ := newPool(t, cfg)
	res, err := p.DoStream(context.Background(), postReq("/", "x"), Headers{})
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(res.Body)
	for i := range 3 {
		line, err := br.ReadString('\n')
		if err != nil || line != "data: "+string(rune('a'+i))+"\n" {
			t.Fatalf("event %d: %q %v", i, line, err)
		}
		_, _ = br.ReadString('\n')
		if i == 0 {
			// Longer than the backend timeout: the stream must stay open.
			timer := time.NewTimer(150 * time.Millisecond)
			<-timer.C
		}
		next <- struct{}{}
	}
	if err := res.Body.Close(); err != nil {
		t.Fatal(err)
	}
	if value(t, p.retries[outcomeDial]) != 1 {
		t.Error("stream did not retry past the dead endpoint")
	}
}

func TestDoStreamErrors(t *testing.T) {
	p, _ := newPool(t, backendCfg(deadURL(t)))
	if _, err := p.DoStream(context.Background(), postReq("/", "x"), Headers{}); ReasonOf(err) != ReasonDial {
		t.Fatalf("got %v", err)
	}
	s := server(t, statusHandler(502, nil))
	p2, _ := newPool(t, backendCfg(s.URL))
	res, err := p2.DoStream(context.Background(), postReq("/", "x"), Headers{})
	if err != nil || res.StatusCode != 502 {
		t.Fatalf("got %v", err)
	}
	_ = res.Body.Close()
}

func TestBuffersReturnedOnEveryPath(t *testing.T) {
	ok := server(t, echoHandler(nil))
	big := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(bytes.Repeat([]byte("x"), 4096)) // chunked: the cap trips mid-read
		w.(http.Flusher).Flush()
		_, _ = w.Write(bytes.Repeat([]byte("x"), 4096))
	}))
	reset := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		_, _ = w.Write([]byte("short")) // then the handler returns: body ends early
	}))
	fail := server(t, statusHandler(500, nil))
	before := buffersOut.Load()
	for _, c := range []struct {
		url  string
		want Reason
	}{{ok.URL, ""}, {big.URL, ReasonTooLarge}, {reset.URL, ReasonTransport}, {fail.URL, ""}} {
		p, _ := newPool(t, backendCfg(c.url), WithMaxResponseBytes(5000))
		res, err := p.Do(context.Background(), postReq("/", "x"), Headers{})
		if ReasonOf(err) != c.want {
			t.Errorf("%s: got %v, want %q", c.url, err, c.want)
		}
		res.Release()
	}
	if n := buffersOut.Load() - before; n != 0 {
		t.Fatalf("%d buffers not returned", n)
	}
}
