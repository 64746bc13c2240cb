package cmd

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/cmd/ops"
	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

// testKeysFile writes a supplier keys file with one key.
func testKeysFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "keys.yaml")
	if err := os.WriteFile(p, []byte("keys:\n  - "+strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// redisFailing reports whether the readiness names the redis condition as failing.
func redisFailing(r *ops.Readiness) bool {
	_, failing := r.Status()
	return slices.ContainsFunc(failing, func(s string) bool { return strings.HasPrefix(s, "redis") })
}

// startWithoutRedis runs the Redis-facing infrastructure of in (health probe and cache hub)
// built while rs is down, checks that it is not ready and still running, starts Redis and
// checks that the hub subscribes and the redis condition clears.
func startWithoutRedis(t *testing.T, in *infra, rs *redistest.Server) {
	t.Helper()
	if !redisFailing(in.ready) {
		t.Fatal("redis condition not failing before Redis ever answered")
	}
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 2)
	go func() { errs <- in.redis.Run(ctx) }()
	go func() { errs <- in.hub.Run(ctx) }()
	defer func() {
		cancel()
		for range 2 {
			if err := <-errs; err != nil {
				t.Errorf("run after cancel: %v", err)
			}
		}
	}()
	if err := in.rdb.Ping(ctx).Err(); err == nil {
		t.Fatal("redis answered while down")
	}
	select {
	case err := <-errs:
		t.Fatalf("a component returned while Redis was down: %v", err)
	default:
	}
	if err := rs.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := in.redis.WaitUp(ctx); err != nil {
		t.Fatal(err)
	}
	if redisFailing(in.ready) {
		t.Fatal("redis condition still failing after Redis answered")
	}
	select {
	case <-in.hub.Ready():
	case err := <-errs:
		t.Fatalf("a component returned: %v", err)
	}
}

// The relayer is built and runs while Redis is down, is not ready, and clears the redis
// condition when Redis starts (it used to exit: "subscribe to cache invalidations: … refused").
func TestRelayerStartsWithoutRedis(t *testing.T) {
	rs := redistest.Start(t)
	rs.Kill()
	cfg, err := config.LoadRelayer("../config.relayer.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Redis.URL = config.Secret(rs.URL())
	cfg.Keys.KeysFile = testKeysFile(t)
	st, err := buildRelayer(cfg, zerolog.Nop(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	startWithoutRedis(t, st.infra, rs)
}

// Same for a miner replica.
func TestMinerStartsWithoutRedis(t *testing.T) {
	rs := redistest.Start(t)
	rs.Kill()
	cfg, err := config.LoadMiner("../config.miner.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Redis.URL = config.Secret(rs.URL())
	cfg.Keys.KeysFile = testKeysFile(t)
	st, err := buildMiner(cfg, zerolog.Nop(), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	startWithoutRedis(t, st.infra, rs)
}
