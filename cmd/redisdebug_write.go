package cmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shannon-ops/pocket-relay-miner/inspect"
)

// confirm asks question on stderr and reads the answer from stdin; only "y" or "yes" agrees.
// Without a terminal on stdin it refuses, so scripts must pass --yes.
func confirm(cmd *cobra.Command, question string) error {
	if fi, err := os.Stdin.Stat(); cmd.InOrStdin() == os.Stdin && (err != nil || fi.Mode()&os.ModeCharDevice == 0) {
		return usageError{errors.New("refusing to write without confirmation: stdin is not a terminal; pass --yes")}
	}
	fmt.Fprint(cmd.ErrOrStderr(), question+" [y/N] ")
	line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
		return errors.New("not confirmed: nothing written")
	}
	return nil
}

// done is the result of a write without other output.
type done struct {
	Action string `json:"action"`
	Kind   string `json:"kind"`
	Key    string `json:"key"`
}

func (d done) Table(w io.Writer) error {
	_, err := fmt.Fprintf(w, "%s %s:%s\n", d.Action, d.Kind, d.Key)
	return err
}

func debugCacheCmd(f *debugFlags) *cobra.Command {
	c := &cobra.Command{Use: "cache", Short: "L2 cache entries: list, get (decoded), invalidate"}
	var kind, key string
	var yes bool
	list := &cobra.Command{
		Use:   "list",
		Short: "L2 entries with size and TTL, and the size of each live refresh set",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd, func(ctx context.Context, in *inspect.Inspector) (table, error) {
				return in.CacheList(ctx, kind)
			})
		},
	}
	list.Flags().StringVar(&kind, "kind", "", "cache kind (session, shared_params, application, supplier, service_cupr, difficulty, ring_keys, account)")
	get := &cobra.Command{
		Use:   "get",
		Short: "One L2 entry, decoded from protobuf where the kind is known, else hex",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd, func(ctx context.Context, in *inspect.Inspector) (table, error) {
				return in.CacheGet(ctx, kind, key)
			})
		},
	}
	inv := &cobra.Command{
		Use:   "invalidate",
		Short: "WRITE: delete one L2 entry and publish its invalidation to every process",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd, func(ctx context.Context, in *inspect.Inspector) (table, error) {
				if kind == "" || key == "" {
					return nil, usageError{errors.New("cache invalidate needs --kind and --key")}
				}
				if !yes {
					if err := confirm(cmd, fmt.Sprintf("invalidate cache entry %s:%s in every process?", kind, key)); err != nil {
						return nil, err
					}
				}
				if err := in.InvalidateCache(ctx, kind, key); err != nil {
					return nil, err
				}
				return done{Action: "invalidated", Kind: kind, Key: key}, nil
			})
		},
	}
	inv.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	for _, sc := range []*cobra.Command{get, inv} {
		sc.Flags().StringVar(&kind, "kind", "", "cache kind (required)")
		sc.Flags().StringVar(&key, "key", "", "cache key, as shown by cache list (required)")
	}
	c.AddCommand(list, get, inv)
	return c
}

func debugKeysCmd(f *debugFlags) *cobra.Command {
	var pattern string
	c := &cobra.Command{
		Use:   "keys",
		Short: "Key counts and MEMORY USAGE per key family (SCAN on every master, never KEYS)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd, func(ctx context.Context, in *inspect.Inspector) (table, error) {
				return in.Keys(ctx, pattern)
			})
		},
	}
	c.Flags().StringVar(&pattern, "pattern", "", "SCAN pattern, starting with the prefix (default: <prefix>:v1:*)")
	return c
}

func debugFlushCmd(f *debugFlags) *cobra.Command {
	var pattern string
	var yes, dry, streams bool
	c := &cobra.Command{
		Use:   "flush",
		Short: "WRITE: UNLINK the keys under the prefix that match --pattern",
		Long: "UNLINK every key under the prefix that matches --pattern (SCAN on every master). The\n" +
			"pattern must start with the prefix (e.g. prm:v1:cache:*). Live relay streams are kept\n" +
			"unless --include-streams. --dry-run only lists; otherwise it asks unless --yes.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd, func(ctx context.Context, in *inspect.Inspector) (table, error) {
				plan, err := in.PlanFlush(ctx, pattern, streams)
				if err != nil || dry || len(plan.Keys) == 0 {
					return plan, err
				}
				if !yes {
					if err := confirm(cmd, fmt.Sprintf("delete %d keys matching %s?", len(plan.Keys), plan.Pattern)); err != nil {
						return nil, err
					}
				}
				return plan, in.Flush(ctx, plan)
			})
		},
	}
	c.Flags().StringVar(&pattern, "pattern", "", "SCAN pattern, starting with the prefix (required)")
	c.Flags().BoolVar(&dry, "dry-run", false, "list the keys, delete nothing")
	c.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	c.Flags().BoolVar(&streams, "include-streams", false, "also delete live relay streams (loses unmined relays)")
	return c
}

// messages is the JSON document of pubsub: every message received.
type messages struct {
	Channel  string            `json:"channel"`
	Messages []inspect.Message `json:"messages"`
}

func (m *messages) Table(io.Writer) error { return nil } // lines were printed as they came

func debugPubSubCmd(f *debugFlags) *cobra.Command {
	var channel string
	var count int
	c := &cobra.Command{
		Use:   "pubsub",
		Short: "Watch a channel (blocks or cache-invalidate) until Ctrl-C or --count messages",
		Long: "Watch a pub/sub channel, decoding each message, until Ctrl-C or --count messages. Without\n" +
			"--json each message is printed as it arrives; with --json one document lists them all at the end.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd, func(ctx context.Context, in *inspect.Inspector) (table, error) {
				out := &messages{Channel: channel, Messages: []inspect.Message{}}
				w := cmd.OutOrStdout()
				err := in.PubSub(ctx, channel, count, func() {
					fmt.Fprintf(cmd.ErrOrStderr(), "watching %s; Ctrl-C to stop\n", channel)
				}, func(m inspect.Message) {
					if f.json {
						out.Messages = append(out.Messages, m)
					} else {
						fmt.Fprintln(w, m.Line())
					}
				})
				return out, err
			})
		},
	}
	c.Flags().StringVar(&channel, "channel", inspect.ChannelBlocks, "blocks or cache-invalidate")
	c.Flags().IntVar(&count, "count", 0, "stop after this many messages (0: until Ctrl-C)")
	return c
}
