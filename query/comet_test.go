package query_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shannon-ops/pocket-relay-miner/query"
	"github.com/shannon-ops/pocket-relay-miner/query/querytest"
)

func newComet(t *testing.T, node *querytest.Comet, retries int) *query.Client {
	t.Helper()
	c, err := query.New(query.Config{CometRPCURL: node.URL, Timeout: time.Second, MaxRetries: retries, BackoffBase: time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestCometBlockStatusInfo(t *testing.T) {
	node := querytest.StartComet(t)
	node.Produce(30)
	c := newComet(t, node, 0)
	ctx := context.Background()

	b, err := c.Block(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	want := querytest.BlockOf(7)
	if b.Height != 7 || !bytes.Equal(b.Hash, want.Hash) || !b.Time.Equal(want.Time) {
		t.Fatalf("block %+v, want %+v", b, want)
	}
	bs, err := c.BlockRange(ctx, 3, 40)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 20 || bs[0].Height != 3 || bs[19].Height != 22 {
		t.Fatalf("range: %d blocks from %d", len(bs), bs[0].Height)
	}
	for i, b := range bs {
		if !bytes.Equal(b.Hash, querytest.BlockOf(b.Height).Hash) || (i > 0 && b.Height != bs[i-1].Height+1) {
			t.Fatalf("range block %d: %+v", i, b)
		}
	}
	st, err := c.Status(ctx)
	if err != nil || st.LatestHeight != 30 || !bytes.Equal(st.LatestHash, querytest.BlockOf(30).Hash) {
		t.Fatalf("status %+v, %v", st, err)
	}
	info, err := c.ABCIInfo(ctx)
	if err != nil || info.Version != "v0.1.35" || info.AppVersion != 1 {
		t.Fatalf("abci info %+v, %v", info, err)
	}
}

func TestCometErrors(t *testing.T) {
	node := querytest.StartComet(t)
	node.Produce(5)
	ctx := context.Background()

	t.Run("future height is not found", func(t *testing.T) {
		c := newComet(t, node, 0)
		if _, err := c.Block(ctx, 6); !errors.Is(err, query.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("503 is retried", func(t *testing.T) {
		c := newComet(t, node, 3)
		node.FailHTTP("status", 2)
		before := node.Calls("status")
		if _, err := c.Status(ctx); err != nil {
			t.Fatal(err)
		}
		if got := node.Calls("status") - before; got != 3 {
			t.Fatalf("attempts = %d, want 3", got)
		}
	})
	t.Run("503 exhausted is transient", func(t *testing.T) {
		c := newComet(t, node, -1)
		node.FailHTTP("status", 1)
		if _, err := c.Status(ctx); !errors.Is(err, query.ErrTransient) {
			t.Fatalf("err = %v, want ErrTransient", err)
		}
	})
	t.Run("empty app version is invalid", func(t *testing.T) {
		c := newComet(t, node, 0)
		node.SetVersion("")
		defer node.SetVersion("v0.1.35")
		if _, err := c.ABCIInfo(ctx); !errors.Is(err, query.ErrInvalid) {
			t.Fatalf("err = %v, want ErrInvalid", err)
		}
	})
	t.Run("dead node is transient", func(t *testing.T) {
		c, err := query.New(query.Config{CometRPCURL: "http://" + deadAddr(t), MaxRetries: 1, BackoffBase: time.Millisecond}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Status(ctx); !errors.Is(err, query.ErrTransient) {
			t.Fatalf("err = %v, want ErrTransient", err)
		}
	})
}
