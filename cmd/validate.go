package cmd

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/keys"
)

// summary is an ordered list of (section, lines) printed by `validate`.
type summary []section

type section struct {
	title string
	lines []string
}

func newValidateCmd(what string, load func(string) (summary, error), loadKeys func(string) (*config.Keys, error)) *cobra.Command {
	var path string
	var checkKeys bool
	c := &cobra.Command{
		Use:   "validate",
		Short: "Load, default and validate a " + what + " config and print a summary",
		Long: "Load the config exactly as `" + what + "` would (strict keys, defaults, validation) and\n" +
			"print a one-screen summary. Exits 2 when the config is invalid.",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			s, err := load(path)
			if err != nil {
				return usageError{err}
			}
			if checkKeys {
				k, err := loadKeys(path)
				if err != nil {
					return usageError{err}
				}
				lines, err := keySummary(k)
				if err != nil {
					return usageError{err}
				}
				s = append(s, section{"loaded keys", lines})
			}
			return s.print(c.OutOrStdout(), path)
		},
	}
	c.Flags().StringVar(&path, "config", "", "path to the "+what+" config file (required)")
	c.Flags().BoolVar(&checkKeys, "check-keys", false, "also load every configured key source and list the operator addresses")
	_ = c.MarkFlagRequired("config")
	return c
}

func (s summary) print(w io.Writer, path string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: valid\n", path)
	for _, sec := range s {
		fmt.Fprintf(&b, "\n%s\n", sec.title)
		for _, l := range sec.lines {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func keyOptions(k *config.Keys) keys.Options {
	o := keys.Options{HexFile: k.KeysFile, Dir: k.KeysDir}
	if kr := k.Keyring; kr != nil {
		o.Keyring = &keys.KeyringOptions{
			Backend:    kr.Backend,
			Dir:        kr.Dir,
			AppName:    kr.AppName,
			Passphrase: kr.Passphrase.Value(),
			Names:      kr.KeyNames,
		}
	}
	return o
}

func keySummary(k *config.Keys) ([]string, error) {
	m, err := keys.New(keyOptions(k), zerolog.Nop(), prometheus.NewRegistry())
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	addrs := m.Addresses()
	lines := []string{fmt.Sprintf("%d operator address(es)", len(addrs))}
	return append(lines, addrs...), nil
}

func commonSections(c *config.Common) []section {
	redisURL := redactedURL(c.Redis.URL.Value())
	keySrc := []string{}
	if c.Keys.KeysFile != "" {
		keySrc = append(keySrc, "keys_file "+c.Keys.KeysFile)
	}
	if c.Keys.KeysDir != "" {
		keySrc = append(keySrc, "keys_dir "+c.Keys.KeysDir)
	}
	if kr := c.Keys.Keyring; kr != nil {
		keySrc = append(keySrc, fmt.Sprintf("keyring %s at %s: %s", kr.Backend, kr.Dir, strings.Join(kr.KeyNames, ", ")))
	}
	ops := []string{"health, ready  http://" + c.Health.Addr + "/health, /ready"}
	if c.Metrics.Enabled {
		ops = append(ops, "metrics        http://"+c.Metrics.Addr+"/metrics")
	} else {
		ops = append(ops, "metrics        off")
	}
	if c.Pprof.Enabled {
		ops = append(ops, "pprof          http://"+c.Pprof.Addr+"/debug/pprof/")
	} else {
		ops = append(ops, "pprof          off")
	}
	ops = append(ops, "logging        "+c.Logging.Level+", "+c.Logging.Format)
	grpcTLS := "tls"
	if c.PocketNode.GRPCInsecure {
		grpcTLS = "insecure"
	}
	return []section{
		{"redis", []string{redisURL + "  prefix " + c.Redis.KeyPrefix}},
		{"pocket node", []string{
			"rpc   " + c.PocketNode.RPCURL,
			"grpc  " + c.PocketNode.GRPCAddr + " (" + grpcTLS + ")",
			fmt.Sprintf("query timeout %s, %d retries", c.PocketNode.QueryTimeout, c.PocketNode.QueryRetries),
			"block time " + c.PocketNode.BlockTime.String(),
		}},
		{"keys", keySrc},
		{"operations", ops},
	}
}

func relayerSummary(r *config.Relayer) summary {
	s := summary{{"relayer", []string{
		"listen " + r.ListenAddr,
		fmt.Sprintf("default validation %s, default max body %s", r.DefaultValidationMode, r.DefaultMaxBodyBytes),
		fmt.Sprintf("publish backlog %d, %d workers, overflow %s", r.Publish.Backlog, r.Publish.Workers, r.Publish.OverflowPolicy),
		fmt.Sprintf("meter enabled=%t fail %s", r.Meter.Enabled, r.Meter.FailMode),
	}}, transportSection(r.Transports)}
	s = append(s, commonSections(&r.Common)...)
	var svc []string
	for _, id := range sortedMapKeys(r.Services) {
		sv := r.Services[id]
		svc = append(svc, fmt.Sprintf("%s  (%s, max body %s)", id, sv.ValidationMode, sv.MaxBodyBytes))
		for _, t := range config.RPCTypes {
			b, ok := sv.Backends[t]
			if !ok {
				continue
			}
			eps := b.Endpoints()
			hosts := make([]string, len(eps))
			for i, e := range eps {
				hosts[i] = redactedURL(e.Value())
			}
			svc = append(svc, fmt.Sprintf("  %-9s %s  [%s, timeout %s, max response %s]", t, strings.Join(hosts, ", "), b.Selection, b.Timeout, b.MaxResponseBytes))
		}
	}
	return append(s, section{fmt.Sprintf("services (%d)", len(r.Services)), svc})
}

// transportSection lists the limits of the transports beyond plain HTTP; each answer is also
// bounded by its backend's max_response_bytes, shown with the backend.
func transportSection(t config.Transports) section {
	ws, st := t.WebSocket, t.Streaming
	return section{"transports", []string{
		fmt.Sprintf("websocket: ping every %s, pong wait %s, write timeout %s, send queue %d", ws.PingInterval, ws.PongWait, ws.WriteTimeout, ws.SendQueue),
		fmt.Sprintf("streaming: frame after %s, %s or %d events; at most %s per stream", st.BatchInterval, st.BatchBytes, st.BatchEvents, st.MaxBytes),
		fmt.Sprintf("grpc: timeout %s", t.GRPC.Timeout),
	}}
}

func minerSummary(m *config.Miner) summary {
	replica := m.ReplicaID
	if replica == "" {
		replica = "(hostname-pid)"
	}
	s := summary{{"miner", []string{
		"replica " + replica,
		fmt.Sprintf("leases: ttl %s, renew every %s, heartbeat %s", m.Leader.LeaseTTL, m.Leader.RenewInterval, m.Leader.HeartbeatInterval),
		fmt.Sprintf("consumer: batch %d, block %s, linger %s, reclaim idle %s every %s", m.Consumer.BatchSize, m.Consumer.BlockTimeout, m.Consumer.Linger, m.Consumer.ReclaimIdle, m.Consumer.ReclaimInterval),
		fmt.Sprintf("tx: chain %s, gas %s, fees %s, confirm within %s", m.Tx.ChainID, gasSummary(m.Tx), feeSummary(m.Tx), m.Tx.ConfirmTimeout),
		fmt.Sprintf("sessions: claim delay %d, proof delay %d blocks, supplier recheck %s", m.Sessions.ClaimDelayBlocks, m.Sessions.ProofDelayBlocks, m.Sessions.SupplierRecheck),
	}}}
	return append(s, commonSections(&m.Common)...)
}

func gasSummary(t config.Tx) string {
	if t.GasLimit == 0 {
		return fmt.Sprintf("simulated ×%.2f", t.GasAdjustment)
	}
	return fmt.Sprintf("%d", t.GasLimit)
}

func feeSummary(t config.Tx) string {
	if t.Fees != "" {
		return t.Fees + " fixed"
	}
	return "gas × " + t.GasPrices
}

// redactedURL keeps a URL's scheme and host: paths, queries and user info may hold keys.
func redactedURL(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return "<invalid url>"
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		rest = rest[at+1:]
	}
	host, path, _ := strings.Cut(rest, "/")
	if path != "" {
		return scheme + "://" + host + "/…"
	}
	return scheme + "://" + host
}

func sortedMapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
