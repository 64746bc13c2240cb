//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shannon-ops/pocket-relay-miner/cache"
	"github.com/shannon-ops/pocket-relay-miner/cache/blocks"
	"github.com/shannon-ops/pocket-relay-miner/query"
	"github.com/shannon-ops/pocket-relay-miner/transport"
	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

// TestCacheChainAndBlockFeed runs against a real pocketd: typed cached lookups, and a block feed
// that follows 25 blocks without a gap while its connections to the node are cut once.
func TestCacheChainAndBlockFeed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	proxy := startProxy(t, strings.TrimPrefix(chain.RPCURL, "http://"))
	q, err := query.New(query.Config{GRPCAddr: chain.GRPCAddr, CometRPCURL: "http://" + proxy.addr, Insecure: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()

	info, err := q.ABCIInfo(ctx)
	if err != nil || info.Version == "" {
		t.Fatalf("abci info %+v, %v", info, err)
	}
	st, err := q.Status(ctx)
	if err != nil || st.LatestHeight <= 0 {
		t.Fatalf("status %+v, %v", st, err)
	}

	srv := redistest.Start(t)
	rdb := srv.Client()
	defer rdb.Close()
	hub := cache.NewHub(rdb, transport.MustKeys("e2e"), prometheus.NewRegistry())
	cc, err := cache.NewChain(hub, q, cache.ChainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	app, supplier, svc := chain.Accounts.Application.Address, chain.Accounts.Supplier.Address, chain.ServiceID
	h := st.LatestHeight
	s, err := cc.Session(ctx, app, svc, h)
	if err != nil {
		t.Fatalf("session: %v", err)
	}
	found := false
	for _, sup := range s.Suppliers {
		found = found || sup.OperatorAddress == supplier
	}
	if !found || s.Header.SessionStartBlockHeight > h || s.Header.SessionEndBlockHeight < h {
		t.Fatalf("session %+v at %d: supplier listed %v", s.Header, h, found)
	}
	start := s.Header.SessionStartBlockHeight
	p, err := cc.SharedParamsAt(ctx, s.Header.SessionEndBlockHeight)
	if err != nil || p.NumBlocksPerSession != chain.Session.NumBlocksPerSession {
		t.Fatalf("shared params %v, %v", p, err)
	}
	cupr, err := cc.CUPRAt(ctx, svc, start)
	if err != nil || cupr != chain.ComputeUnitsPerRelay {
		t.Fatalf("cupr %d, %v; want %d", cupr, err, chain.ComputeUnitsPerRelay)
	}
	d, err := cc.DifficultyAt(ctx, svc, start)
	if err != nil || len(d.TargetHash) != 32 {
		t.Fatalf("difficulty %v, %v", d, err)
	}
	if pk, err := cc.AccountPubKey(ctx, app); err != nil || pk == nil {
		t.Fatalf("app public key %v, %v", pk, err)
	}
	if sup, err := cc.Supplier(ctx, supplier); err != nil || len(sup.Services) == 0 {
		t.Fatalf("supplier %v, %v", sup, err)
	}
	if _, err := cc.Application(ctx, "pokt1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"); !errors.Is(err, query.ErrNotFound) && !errors.Is(err, query.ErrInvalid) {
		t.Fatalf("unknown application: %v", err)
	}

	reg := prometheus.NewRegistry()
	feed, err := blocks.New(blocks.Config{Mode: blocks.Own, WebsocketURL: blocks.WebsocketURL("http://" + proxy.addr),
		BlockTime: time.Second, ReconnectMin: 100 * time.Millisecond, ReconnectMax: time.Second}, q, nil, transport.Keys{}, reg)
	if err != nil {
		t.Fatal(err)
	}
	sub := feed.Subscribe(blocks.SubscribeOptions{Every: true})
	fctx, fcancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- feed.Run(fctx) }()
	defer func() {
		fcancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	var prev int64
	for n := 0; n < 25; n++ {
		nctx, ncancel := context.WithTimeout(ctx, 30*time.Second)
		b, err := sub.Next(nctx)
		ncancel()
		if err != nil {
			t.Fatalf("block %d: %v", n, err)
		}
		if prev != 0 && b.Height != prev+1 {
			t.Fatalf("got height %d after %d: a gap or a repeat", b.Height, prev)
		}
		prev = b.Height
		// The hash computed from the websocket header must be the node's BlockID hash.
		ref, err := q.Block(ctx, b.Height)
		if err != nil || !bytes.Equal(ref.Hash, b.Hash) {
			t.Fatalf("height %d: hash %X, node says %X (%v)", b.Height, b.Hash, ref.Hash, err)
		}
		if n == 5 {
			proxy.cut()
		}
	}
	if got := reconnects(t, reg, "websocket"); got < 1 {
		t.Fatalf("websocket reconnects = %v after the cut, want ≥ 1", got)
	}
	if os.Getenv("E2E_VERBOSE") != "" {
		mfs, _ := reg.Gather()
		for _, mf := range mfs {
			t.Log(mf.String())
		}
	}
}

// reconnects reads relayminer_block_source_reconnects_total{source}.
func reconnects(t *testing.T, reg *prometheus.Registry, source string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "relayminer_block_source_reconnects_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "source" && lp.GetValue() == source {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// tcpProxy forwards loopback connections to target and can cut all of them at once.
type tcpProxy struct {
	addr   string
	target string
	ln     net.Listener
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

func startProxy(t *testing.T, target string) *tcpProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{addr: ln.Addr().String(), target: target, ln: ln, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		_ = ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *tcpProxy) accept() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = in.Close()
			continue
		}
		p.mu.Lock()
		p.conns[in], p.conns[out] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Go(func() { _, _ = io.Copy(out, in); _ = out.Close(); _ = in.Close() })
		p.wg.Go(func() { _, _ = io.Copy(in, out); _ = in.Close(); _ = out.Close() })
	}
}

// cut closes every proxied connection.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.Close()
		delete(p.conns, c)
	}
}
