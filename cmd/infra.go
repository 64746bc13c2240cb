package cmd

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/shannon-ops/pocket-relay-miner/cache"
	"github.com/shannon-ops/pocket-relay-miner/cache/blocks"
	"github.com/shannon-ops/pocket-relay-miner/cmd/ops"
	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/keys"
	"github.com/shannon-ops/pocket-relay-miner/query"
	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// infra is what the relayer and the miner both run: logging, the ops endpoints, supplier keys,
// Redis, chain queries, the cache and the block feed. Built once per process; nothing in it
// connects or starts until start.
type infra struct {
	log   zerolog.Logger
	ready *ops.Readiness
	ops   *ops.Server
	keys  *keys.Manager
	tk    transport.Keys
	rdb   redis.UniversalClient
	redis *transport.Health // Redis up/down, fail-fast for the relayer
	// onRedisChange, set while building (before anything runs), is called after each Redis
	// transition: the relayer refreshes its readiness at once.
	onRedisChange func()
	query         *query.Client
	hub           *cache.Hub
	chain         *cache.Chain
	feed          *blocks.Feed
}

// newInfra builds the shared components from the common config sections. mode is blocks.Own for
// a miner (it follows the node and publishes blocks) and blocks.Follow for a relayer.
func newInfra(c *config.Common, mode blocks.Mode, log zerolog.Logger, reg *prometheus.Registry) (*infra, error) {
	in := &infra{log: log, ready: ops.NewReadiness()}
	in.ops = ops.NewServer(ops.Config{
		MetricsEnabled: c.Metrics.Enabled, MetricsAddr: c.Metrics.Addr, HealthAddr: c.Health.Addr,
		PprofEnabled: c.Pprof.Enabled, PprofAddr: c.Pprof.Addr,
	}, reg, in.ready, log)
	var err error
	if in.keys, err = keys.New(keyOptions(&c.Keys), log, reg); err != nil {
		return nil, usageError{fmt.Errorf("keys: %w", err)}
	}
	if in.tk, err = transport.NewKeys(c.Redis.KeyPrefix); err != nil {
		return nil, usageError{err}
	}
	if in.rdb, err = transport.NewClient(c.Redis.URL.Value(), transport.PoolOptions{
		PoolSize: c.Redis.PoolSize, MinIdleConns: c.Redis.MinIdleConns, DialTimeout: c.Redis.DialTimeout,
		ReadTimeout: c.Redis.ReadTimeout, WriteTimeout: c.Redis.WriteTimeout,
	}); err != nil {
		return nil, usageError{fmt.Errorf("redis: %w", err)}
	}
	transport.SetRedisLogger(log)
	if in.redis, err = newRedisHealth(in.rdb, c.Redis.URL.Value(), mode, in.ready, func() {
		if in.onRedisChange != nil {
			in.onRedisChange()
		}
	}, log, reg); err != nil {
		in.close()
		return nil, err
	}
	if in.query, err = query.New(query.Config{
		GRPCAddr: c.PocketNode.GRPCAddr, CometRPCURL: c.PocketNode.RPCURL, Insecure: c.PocketNode.GRPCInsecure,
		Timeout: c.PocketNode.QueryTimeout, MaxRetries: c.PocketNode.QueryRetries,
	}, reg); err != nil {
		in.close()
		return nil, usageError{fmt.Errorf("pocket_node: %w", err)}
	}
	in.hub = cache.NewHub(in.rdb, in.tk, reg)
	if in.chain, err = cache.NewChain(in.hub, in.query, cache.ChainOptions{}); err != nil {
		in.close()
		return nil, err
	}
	if in.feed, err = blocks.New(blocks.Config{Mode: mode, WebsocketURL: blocks.WebsocketURL(c.PocketNode.RPCURL),
		BlockTime: c.PocketNode.BlockTime}, in.query, in.rdb, in.tk, reg); err != nil {
		in.close()
		return nil, usageError{fmt.Errorf("block feed: %w", err)}
	}
	return in, nil
}

// addBlockTimeFlag registers --block-time on c. The returned function applies it to a loaded
// config: it overrides pocket_node.block_time only when the flag was given, so the file's value
// (or its default) stands otherwise, and it is checked as the config key is.
func addBlockTimeFlag(c *cobra.Command) func(*config.Common) error {
	var d time.Duration
	c.Flags().DurationVar(&d, "block-time", 0, "the chain's expected block time; when given, overrides pocket_node.block_time of the config file (default there "+
		config.DefaultNodeBlockTime.String()+"; 1s on a localnet)")
	return func(cfg *config.Common) error {
		if !c.Flags().Changed("block-time") {
			return nil
		}
		if err := config.CheckBlockTime(d); err != nil {
			return fmt.Errorf("--block-time: %w", err)
		}
		cfg.PocketNode.BlockTime = d
		return nil
	}
}

// start runs the shared components as members of rg.
func (in *infra) start(rg *runGroup) {
	rg.Go(in.ops.Run)
	rg.Go(in.redis.Run)
	rg.Go(in.keys.Run)
	rg.Go(in.hub.Run)
	rg.Go(in.feed.Run)
}

// close releases the connections; call it after every component stopped.
func (in *infra) close() {
	if in.query != nil {
		_ = in.query.Close()
	}
	if in.rdb != nil {
		_ = in.rdb.Close()
	}
}

// newRedisHealth tracks Redis for the process; both commands start without it and report not
// ready (condition "redis") until it first answers. The miner stays not ready whenever Redis
// is down: nothing it does works without it. The relayer fails fast while Redis is known down,
// so its meter answers per fail_mode at once and its publisher queues instead of every relay
// waiting out Redis timeouts; after the first answer its readiness during an outage is the
// server's call (not ready only when the meter fails closed).
func newRedisHealth(rdb redis.UniversalClient, url string, mode blocks.Mode, ready *ops.Readiness, changed func(),
	log zerolog.Logger, reg prometheus.Registerer) (*transport.Health, error) {
	cond := ready.Register("redis")
	cond.Set(false, "waiting for redis")
	relayer := mode == blocks.Follow
	component := "miner"
	if relayer {
		component = "relayer"
	}
	return transport.NewHealth(rdb, transport.HealthOptions{
		Component: component, Target: url, FailFast: relayer,
		OnChange: func(up bool) {
			if up || !relayer {
				cond.Set(up, "redis unreachable")
			}
			changed()
		},
	}, log, reg)
}
