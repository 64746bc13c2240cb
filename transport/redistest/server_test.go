package redistest

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestStartAnswersAndStops(t *testing.T) {
	s := Start(t)
	if s.Port == 6379 {
		t.Fatal("harness must never use the shared 6379")
	}
	c := s.Client()
	defer c.Close()
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("set: %v", err)
	}
	if got := c.Get(ctx, "k").Val(); got != "v" {
		t.Fatalf("get = %q, want v", got)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	ctx2, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := c.Ping(ctx2).Err(); err == nil {
		t.Fatal("server still answers after Close")
	}
}

func TestClusterSpreadsSlots(t *testing.T) {
	cl := StartCluster(t)
	c := cl.Client()
	defer c.Close()
	ctx := context.Background()
	// Keys with distinct hash tags land on different masters; all must be writable.
	for _, k := range []string{"{alpha}x", "{beta}x", "{gamma}x", "{delta}x"} {
		if err := c.Set(ctx, k, "1", 0).Err(); err != nil {
			t.Fatalf("set %s: %v", k, err)
		}
	}
	var nodes atomic.Int32
	err := c.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		nodes.Add(1)
		return nil
	})
	if err != nil {
		t.Fatalf("for each master: %v", err)
	}
	if n := nodes.Load(); n != 3 {
		t.Fatalf("masters = %d, want 3", n)
	}
}
