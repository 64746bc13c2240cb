package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/shannon-ops/pocket-relay-miner/query"
	"github.com/shannon-ops/pocket-relay-miner/relayer/client"
	"github.com/shannon-ops/pocket-relay-miner/relayer/client/load"
)

// relayFlags are the flags of every `relay <transport>` command.
type relayFlags struct {
	node, grpcAddr, app, service, supplier, endpoint string
	appKey, gwKey, krDir, krBackend, keyName         string
	payload, path, method, output                    string
	headers                                          []string
	grpcInsecure, progress                           bool
	count                                            int64
	concurrency                                      int
	rps                                              float64
	duration, timeout, poll                          time.Duration
}

func newRelayCmd() *cobra.Command {
	f := &relayFlags{}
	c := &cobra.Command{
		Use:   "relay",
		Short: "Send signed relays to a relay miner: one to inspect it, or many to load-test it",
		Long: "Build, ring-sign (as the application or a delegated gateway), send and verify relays.\n" +
			"--count 1 (default) prints one relay in full; a larger --count or a --duration runs a load\n" +
			"test (closed loop at --concurrency, or open loop at --rps) and prints a report.\n" +
			"Exit status 1 when any relay failed.",
	}
	p := c.PersistentFlags()
	p.StringVar(&f.node, "node", "http://127.0.0.1:26657", "CometBFT RPC URL (tcp:// is read as http://)")
	p.StringVar(&f.grpcAddr, "grpc-addr", "127.0.0.1:9090", "Cosmos gRPC host:port")
	p.BoolVar(&f.grpcInsecure, "grpc-insecure", false, "plaintext gRPC (a local node)")
	p.StringVar(&f.app, "app", "", "application address (required)")
	p.StringVar(&f.service, "service", "", "service id (required)")
	p.StringVar(&f.supplier, "supplier", "", "supplier operator address; default: every supplier of the session in turn")
	p.StringVar(&f.endpoint, "endpoint", "", "relay miner URL; default: the supplier's staked endpoint for the rpc type")
	p.StringVar(&f.appKey, "app-key-hex", "", "sign as the application with this hex private key")
	p.StringVar(&f.gwKey, "gateway-key-hex", "", "sign as a gateway the application delegates to, with this hex private key")
	p.StringVar(&f.krDir, "keyring-dir", "", "keyring root (pocketd --home) holding --key-name")
	p.StringVar(&f.krBackend, "keyring-backend", "test", "keyring backend: test, file or os")
	p.StringVar(&f.keyName, "key-name", "", "name of the application's or gateway's key in the keyring")
	p.StringVar(&f.payload, "payload", "", "request body (a JSON-RPC request for jsonrpc and cometbft)")
	p.StringVar(&f.path, "path", "/", "request path and query (rest, cometbft)")
	p.StringVar(&f.method, "method", "", "HTTP method; default POST with a payload, else GET")
	p.StringArrayVar(&f.headers, "header", nil, "backend request header \"Name: value\" (repeatable)")
	p.Int64Var(&f.count, "count", 1, "relays to send; 1 prints the relay in full")
	p.DurationVar(&f.duration, "duration", 0, "send for this long (load mode)")
	p.IntVar(&f.concurrency, "concurrency", 1, "relays in flight at most")
	p.Float64Var(&f.rps, "rps", 0, "open-loop rate in relays/s (latency from the scheduled send time); 0: closed loop")
	p.DurationVar(&f.timeout, "timeout", client.DefaultTimeout, "bound on one relay")
	p.DurationVar(&f.poll, "height-poll", time.Second, "how often the chain height is checked for a session rollover")
	p.StringVar(&f.output, "output", "text", "report format: text or json")
	p.BoolVar(&f.progress, "progress", false, "print progress to stderr even when it is not a terminal")
	for _, t := range []client.Transport{client.TransportJSONRPC, client.TransportREST, client.TransportCometBFT} {
		c.AddCommand(&cobra.Command{Use: string(t), Short: "Send " + string(t) + " relays", Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error { return runRelay(cmd, t, f) }})
	}
	return c
}

func runRelay(cmd *cobra.Command, t client.Transport, f *relayFlags) error {
	key, cfg, err := f.config(t)
	if err != nil {
		return usageError{err}
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	q, err := query.New(query.Config{GRPCAddr: f.grpcAddr, CometRPCURL: strings.Replace(f.node, "tcp://", "http://", 1),
		Insecure: f.grpcInsecure}, prometheus.NewRegistry())
	if err != nil {
		return usageError{err}
	}
	defer q.Close()
	cfg.Chain, cfg.Key = q, key
	c, err := client.New(cfg)
	if err != nil {
		return usageError{err}
	}
	defer c.Close()
	if err := c.Start(ctx); err != nil {
		return err
	}
	if f.count == 1 && f.duration == 0 && f.output == "text" {
		res, err := c.Do(ctx)
		client.WriteResult(cmd.OutOrStdout(), res, err)
		if err != nil {
			cat, _ := client.Classify(err)
			return fmt.Errorf("the relay failed (%s)", cat)
		}
		return nil
	}
	watchCtx, cancelWatch := context.WithCancel(ctx)
	go c.Watch(watchCtx, f.poll, func(err error) { fmt.Fprintln(cmd.ErrOrStderr(), "session refresh:", err) })
	lc := load.Config{Count: f.count, Duration: f.duration, Concurrency: f.concurrency, RPS: f.rps,
		Timeout: f.timeout, Categories: categories()}
	if f.duration > 0 && !cmd.Flags().Changed("count") {
		lc.Count = 0
	}
	tty := term.IsTerminal(int(os.Stderr.Fd()))
	if f.progress || tty {
		lc.Progress, lc.ProgressInline = cmd.ErrOrStderr(), tty
	}
	rep, err := load.Run(ctx, lc, func(ctx context.Context) load.Outcome {
		res, err := c.Do(ctx)
		o := load.Outcome{Verified: res != nil && res.SignatureVerified}
		if err != nil {
			cat, code := client.Classify(err)
			o.Category, o.Code = string(cat), code
		}
		return o
	})
	cancelWatch()
	if err != nil {
		return usageError{err}
	}
	rep.Target = relayTarget{Transport: string(t), App: f.app, Service: f.service, Sessions: c.Sessions()}
	if f.output == "json" {
		err = rep.WriteJSON(cmd.OutOrStdout())
	} else if err = rep.WriteText(cmd.OutOrStdout()); err == nil {
		for _, s := range c.Sessions() {
			fmt.Fprintf(cmd.OutOrStdout(), "Session %s blocks %d-%d: %s\n", s.SessionID[:12], s.StartHeight, s.EndHeight, strings.Join(s.Endpoints, ", "))
		}
	}
	if err == nil && rep.Errors > 0 {
		err = fmt.Errorf("%d of %d relays failed", rep.Errors, rep.Success+rep.Errors)
	}
	return err
}

// relayTarget is the "target" object of the JSON report.
type relayTarget struct {
	Transport string               `json:"transport"`
	App       string               `json:"application"`
	Service   string               `json:"service"`
	Sessions  []client.SessionInfo `json:"sessions"`
}

func categories() []string {
	var out []string
	for _, c := range client.Categories() {
		out = append(out, string(c))
	}
	return out
}

// config checks the flags and returns the signing key and the client config without a chain.
func (f *relayFlags) config(t client.Transport) (*client.Key, client.Config, error) {
	var errs []error
	if f.app == "" || f.service == "" {
		errs = append(errs, errors.New("--app and --service are required"))
	}
	if f.output != "text" && f.output != "json" {
		errs = append(errs, fmt.Errorf("--output %q: want text or json", f.output))
	}
	if f.count < 0 || (f.count == 0 && f.duration == 0) {
		errs = append(errs, errors.New("--count must be at least 1, or set --duration"))
	}
	hdr, err := client.ParseHeaders(f.headers)
	errs = append(errs, err)
	key, err := f.key()
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, client.Config{}, err
	}
	return key, client.Config{App: f.app, Service: f.service, Supplier: f.supplier, Endpoint: f.endpoint,
		Timeout: f.timeout, MaxConns: f.concurrency, Payload: client.Payload{Transport: t, Method: f.method,
			Path: f.path, Body: []byte(f.payload), Header: hdr}}, nil
}

func (f *relayFlags) key() (*client.Key, error) {
	n := 0
	for _, set := range []bool{f.appKey != "", f.gwKey != "", f.keyName != ""} {
		if set {
			n++
		}
	}
	switch {
	case n != 1:
		return nil, errors.New("give exactly one of --app-key-hex, --gateway-key-hex, --key-name")
	case f.appKey != "":
		k, err := client.KeyFromHex(f.appKey)
		if err == nil && k.Address() != f.app {
			err = fmt.Errorf("--app-key-hex is the key of %s, not of --app %s", k.Address(), f.app)
		}
		return k, err
	case f.gwKey != "":
		return client.KeyFromHex(f.gwKey)
	}
	return client.KeyFromKeyring(client.KeyringOptions{Dir: f.krDir, Backend: f.krBackend, Name: f.keyName})
}
