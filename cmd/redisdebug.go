package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/inspect"
	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// defaultDebugRedisURL is used when neither --redis-url nor --config names Redis.
const defaultDebugRedisURL = "redis://127.0.0.1:6379"

// debugFlags are the flags every redis-debug command shares.
type debugFlags struct {
	url, configPath, prefix string
	json                    bool
}

// table is a result with a human-readable form.
type table interface{ Table(io.Writer) error }

func newRedisDebugCmd() *cobra.Command {
	f := &debugFlags{}
	c := &cobra.Command{
		Use:   "redis-debug",
		Short: "Inspect what the relayers and miners keep in Redis (read-only unless stated)",
		Long: "Read sessions, trees, relay streams, caches, leases, the relay meter and tx submissions\n" +
			"from Redis, with the key layout the code uses. Every command prints an aligned table, or one\n" +
			"JSON document with --json. Only `cache invalidate` and `flush` write, and both ask first.\n\n" +
			"Redis comes from --redis-url, else from the redis section of --config (a relayer or miner\n" +
			"config file), else " + defaultDebugRedisURL + ". Works on standalone, Sentinel and Cluster.",
	}
	pf := c.PersistentFlags()
	pf.StringVar(&f.url, "redis-url", "", "Redis URL (default: the config's redis.url, else "+defaultDebugRedisURL+")")
	pf.StringVar(&f.configPath, "config", "", "relayer or miner config file to take redis.url and redis.key_prefix from")
	pf.StringVar(&f.prefix, "prefix", "", "key prefix (default: the config's redis.key_prefix, else "+transport.DefaultPrefix+")")
	pf.BoolVar(&f.json, "json", false, "print one JSON document instead of a table")
	c.AddCommand(
		debugSessionsCmd(f), debugSMSTCmd(f), debugStreamsCmd(f), debugCacheCmd(f),
		debugLeaderCmd(f), debugSuppliersCmd(f), debugMeterCmd(f), debugSubmissionsCmd(f),
		debugPubSubCmd(f), debugKeysCmd(f), debugFlushCmd(f),
	)
	return c
}

// open resolves the Redis URL and prefix and returns an inspector and the client to close.
func (f *debugFlags) open() (*inspect.Inspector, redis.UniversalClient, error) {
	url, prefix := f.url, f.prefix
	if f.configPath != "" {
		r, err := redisOfConfig(f.configPath)
		if err != nil {
			return nil, nil, usageError{err}
		}
		if url == "" {
			url = r.URL.Value()
		}
		if prefix == "" {
			prefix = r.KeyPrefix
		}
	}
	if url == "" {
		url = defaultDebugRedisURL
	}
	keys, err := transport.NewKeys(prefix)
	if err != nil {
		return nil, nil, usageError{err}
	}
	rdb, err := transport.NewClient(url, transport.PoolOptions{})
	if err != nil {
		return nil, nil, usageError{err}
	}
	in, err := inspect.New(rdb, keys)
	if err != nil {
		rdb.Close()
		return nil, nil, err
	}
	return in, rdb, nil
}

// redisOfConfig reads the redis section of a miner or a relayer config file.
func redisOfConfig(path string) (config.Redis, error) {
	m, errM := config.LoadMiner(path)
	if errM == nil {
		return m.Redis, nil
	}
	r, errR := config.LoadRelayer(path)
	if errR == nil {
		return r.Redis, nil
	}
	return config.Redis{}, fmt.Errorf("--config %s is neither a valid miner config (%v) nor a valid relayer config (%v)", path, errM, errR)
}

// run opens Redis, calls fn with a context cancelled by SIGINT/SIGTERM and prints its result.
func (f *debugFlags) run(cmd *cobra.Command, fn func(ctx context.Context, in *inspect.Inspector) (table, error)) error {
	in, rdb, err := f.open()
	if err != nil {
		return err
	}
	defer rdb.Close()
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := fn(ctx, in)
	if err != nil {
		if errors.Is(err, inspect.ErrUsage) {
			return usageError{err}
		}
		return err
	}
	return f.print(cmd.OutOrStdout(), res)
}

func (f *debugFlags) print(w io.Writer, res table) error {
	if !f.json {
		return res.Table(w)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

func debugSessionsCmd(f *debugFlags) *cobra.Command {
	var supplier, state string
	c := &cobra.Command{
		Use:   "sessions",
		Short: "Persisted session lifecycle records, by supplier and state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd, func(ctx context.Context, in *inspect.Inspector) (table, error) {
				return in.Sessions(ctx, supplier, state)
			})
		},
	}
	c.Flags().StringVar(&supplier, "supplier", "", "supplier operator address (default: every supplier)")
	c.Flags().StringVar(&state, "state", "", "only sessions in this state (active, claiming, claimed, proving, proved, settled, skipped, failed)")
	return c
}

func debugSMSTCmd(f *debugFlags) *cobra.Command {
	var supplier, session string
	c := &cobra.Command{
		Use:   "smst",
		Short: "Committed root, count, sum and node count of one session tree",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd, func(ctx context.Context, in *inspect.Inspector) (table, error) {
				return in.Tree(ctx, supplier, session)
			})
		},
	}
	c.Flags().StringVar(&supplier, "supplier", "", "supplier operator address (required)")
	c.Flags().StringVar(&session, "session", "", "session id (required)")
	return c
}

func debugStreamsCmd(f *debugFlags) *cobra.Command {
	var supplier string
	c := &cobra.Command{
		Use:   "streams",
		Short: "Relay streams: length, consumer groups, consumers, pending entries and lag",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd, func(ctx context.Context, in *inspect.Inspector) (table, error) {
				return in.Streams(ctx, supplier)
			})
		},
	}
	c.Flags().StringVar(&supplier, "supplier", "", "supplier operator address (default: every stream)")
	return c
}

func debugLeaderCmd(f *debugFlags) *cobra.Command {
	var duty string
	c := &cobra.Command{
		Use:   "leader",
		Short: "Global leader (holder, TTL, fencing token) and live miner replicas",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd, func(ctx context.Context, in *inspect.Inspector) (table, error) {
				return in.Leader(ctx, duty)
			})
		},
	}
	c.Flags().StringVar(&duty, "duty", "global", "singleton duty whose lease to show")
	return c
}

func debugSuppliersCmd(f *debugFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "suppliers",
		Short: "Owner, fencing token and TTL of every supplier lease",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd, func(ctx context.Context, in *inspect.Inspector) (table, error) {
				return in.Suppliers(ctx)
			})
		},
	}
}

func debugMeterCmd(f *debugFlags) *cobra.Command {
	var supplier, session string
	c := &cobra.Command{
		Use:   "meter",
		Short: "Relay-meter consumption (upokt) per (supplier, session) and its TTL",
		Long: "Relay-meter consumption (upokt) per (supplier, session) and its TTL. The budget is\n" +
			"computed by each relayer from chain data and is not stored in Redis.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd, func(ctx context.Context, in *inspect.Inspector) (table, error) {
				return in.Meter(ctx, supplier, session)
			})
		},
	}
	c.Flags().StringVar(&supplier, "supplier", "", "supplier operator address (default: all)")
	c.Flags().StringVar(&session, "session", "", "session id (default: all)")
	return c
}

func debugSubmissionsCmd(f *debugFlags) *cobra.Command {
	var supplier string
	var n int64
	c := &cobra.Command{
		Use:   "submissions",
		Short: "Claim and proof tx history of one supplier, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd, func(ctx context.Context, in *inspect.Inspector) (table, error) {
				return in.Submissions(ctx, supplier, n)
			})
		},
	}
	c.Flags().StringVar(&supplier, "supplier", "", "supplier operator address (required)")
	c.Flags().Int64VarP(&n, "n", "n", 20, "how many submissions")
	return c
}
