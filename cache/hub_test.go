package cache

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

// A process started while Redis is down must not exit: the hub keeps trying to subscribe and
// is ready once Redis starts.
func TestHubSubscribesOnceRedisStarts(t *testing.T) {
	srv := redistest.Start(t)
	srv.Kill()
	rdb := srv.Client()
	defer rdb.Close()
	hub := NewHub(rdb, testKeys, prometheus.NewRegistry())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- hub.Run(ctx) }()

	// A failed attempt: go-redis dials on Receive, which the killed server refuses. Run must
	// still be running after it (it used to return the dial error at once).
	if err := rdb.Ping(ctx).Err(); err == nil {
		t.Fatal("redis answered while killed")
	}
	select {
	case err := <-done:
		t.Fatalf("hub run returned while Redis was down: %v", err)
	default:
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-hub.Ready():
	case err := <-done:
		t.Fatalf("hub run returned: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("hub run after cancel: %v", err)
	}
}
