package cmd

import (
	"context"
	"encoding/base64"
	"encoding/hex"
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
	appKey, appKeyFile, gwKey, gwKeyFile             string
	krDir, krBackend, keyName, passEnv               string
	payload, path, method, output                    string
	messageHex, messageB64, accept                   string
	headers                                          []string
	grpcInsecure, progress                           bool
	count                                            int64
	concurrency, connections, expect                 int
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
			"Transports: jsonrpc, rest, cometbft (one HTTP answer); websocket (one signed frame on a\n" +
			"connection, --expect signed responses); grpc (one unary call, --method /pkg.Service/Method);\n" +
			"stream (an SSE or NDJSON answer read frame by frame, every frame verified).\n" +
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
	p.StringVar(&f.appKeyFile, "app-key-file", "", "sign as the application with the hex private key in this file (mode 0600 or stricter)")
	p.StringVar(&f.gwKeyFile, "gateway-key-file", "", "sign as a gateway the application delegates to, with the hex private key in this file (mode 0600 or stricter)")
	p.StringVar(&f.appKey, "app-key-hex", "", "sign as the application with this hex private key; other users see it in ps, and it stays in shell history: prefer --app-key-file")
	p.StringVar(&f.gwKey, "gateway-key-hex", "", "sign as a delegated gateway with this hex private key; other users see it in ps, and it stays in shell history: prefer --gateway-key-file")
	p.StringVar(&f.krDir, "keyring-dir", "", "keyring root (pocketd --home) holding --key-name")
	p.StringVar(&f.krBackend, "keyring-backend", "test", "keyring backend: test, file or os (file: the passphrase is read from stdin, or see --keyring-passphrase-env)")
	p.StringVar(&f.passEnv, "keyring-passphrase-env", "", "read the file keyring's passphrase from this environment variable instead of stdin")
	p.StringVar(&f.keyName, "key-name", "", "name of the application's or gateway's key in the keyring")
	p.StringVar(&f.payload, "payload", "", "request body (a JSON-RPC request for jsonrpc and cometbft; the message of each frame for websocket)")
	p.StringVar(&f.path, "path", "/", "request path and query (rest, cometbft, stream)")
	p.StringVar(&f.method, "method", "", "HTTP method, default POST with a payload, else GET; for grpc the call's /pkg.Service/Method (required)")
	p.StringVar(&f.messageHex, "message-hex", "", "grpc: the request message, protobuf bytes in hex (default: an empty message)")
	p.StringVar(&f.messageB64, "message-b64", "", "grpc: the request message, protobuf bytes in base64")
	p.StringVar(&f.accept, "accept", "text/event-stream", "stream: the Accept header asked for (text/event-stream or application/x-ndjson)")
	p.IntVar(&f.expect, "expect", 1, "websocket: signed responses each frame is answered with (subscriptions: more than 1)")
	p.IntVar(&f.connections, "connections", 0, "websocket: connections the frames are spread over (default: --concurrency)")
	p.StringArrayVar(&f.headers, "header", nil, "backend request header \"Name: value\" (repeatable)")
	p.Int64Var(&f.count, "count", 1, "relays to send; 1 prints the relay in full")
	p.DurationVar(&f.duration, "duration", 0, "send for this long (load mode)")
	p.IntVar(&f.concurrency, "concurrency", 1, "relays in flight at most")
	p.Float64Var(&f.rps, "rps", 0, "open-loop rate in relays/s (latency from the scheduled send time); 0: closed loop")
	p.DurationVar(&f.timeout, "timeout", client.DefaultTimeout, "bound on one relay")
	p.DurationVar(&f.poll, "height-poll", time.Second, "how often the chain height is checked for a session rollover")
	p.StringVar(&f.output, "output", "text", "report format: text or json")
	p.BoolVar(&f.progress, "progress", false, "print progress to stderr even when it is not a terminal")
	short := map[client.Transport]string{
		client.TransportWebSocket: "Send relays as signed frames on WebSocket connections (Rpc-Type 2)",
		client.TransportGRPC:      "Send unary gRPC calls as relays (Rpc-Type 1)",
		client.TransportStream:    "Send relays answered as a stream (SSE or NDJSON), verifying every frame",
	}
	for _, t := range client.Transports() {
		s := short[t]
		if s == "" {
			s = "Send " + string(t) + " relays"
		}
		c.AddCommand(&cobra.Command{Use: string(t), Short: s, Args: cobra.NoArgs,
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
		if res != nil {
			o.FirstFrame, o.Frames = res.FirstFrame, res.Frames
		}
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
	tg := relayTarget{Transport: string(t), App: f.app, Service: f.service, Sessions: c.Sessions()}
	switch t {
	case client.TransportGRPC:
		tg.GRPCMethod = f.method
	case client.TransportWebSocket:
		tg.Connections, tg.Dials, tg.Expect = cfg.Connections, c.Dials(), cfg.Expect
	case client.TransportStream:
		tg.Accept = cfg.Payload.Header.Get("Accept")
	}
	rep.Target = tg
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
	// grpc: the method called.
	GRPCMethod string `json:"grpc_method,omitempty"`
	// websocket: the connections asked for, those opened (reconnections included) and the
	// responses expected per frame.
	Connections int   `json:"connections,omitempty"`
	Dials       int64 `json:"dials,omitempty"`
	Expect      int   `json:"expect,omitempty"`
	// stream: the Accept header sent.
	Accept string `json:"accept,omitempty"`
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
	p := client.Payload{Transport: t, Method: f.method, Path: f.path, Body: []byte(f.payload), Header: hdr}
	switch t {
	case client.TransportGRPC:
		msg, err := f.grpcMessage()
		errs = append(errs, err)
		if f.method == "" {
			errs = append(errs, errors.New("grpc: --method /package.Service/Method is required"))
		}
		p.Method, p.Path, p.Body = "POST", f.method, client.GRPCFrame(msg)
	case client.TransportStream:
		if hdr != nil && hdr.Get("Accept") == "" && f.accept != "" {
			hdr.Set("Accept", f.accept)
		}
	}
	if f.expect < 1 || f.connections < 0 {
		errs = append(errs, errors.New("--expect must be at least 1 and --connections not negative"))
	}
	if _, _, err := p.Marshal(); err != nil && len(errs) == 0 {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, client.Config{}, err
	}
	conns := f.connections
	if conns == 0 {
		conns = f.concurrency
	}
	return key, client.Config{App: f.app, Service: f.service, Supplier: f.supplier, Endpoint: f.endpoint,
		Timeout: f.timeout, MaxConns: f.concurrency, Connections: conns, Expect: f.expect, Payload: p}, nil
}

// grpcMessage is the request message of --message-hex or --message-b64 (empty when neither).
func (f *relayFlags) grpcMessage() ([]byte, error) {
	switch {
	case f.messageHex != "" && f.messageB64 != "":
		return nil, errors.New("give at most one of --message-hex, --message-b64")
	case f.messageHex != "":
		b, err := hex.DecodeString(strings.TrimPrefix(f.messageHex, "0x"))
		if err != nil {
			return nil, fmt.Errorf("--message-hex: %w", err)
		}
		return b, nil
	case f.messageB64 != "":
		b, err := base64.StdEncoding.DecodeString(f.messageB64)
		if err != nil {
			return nil, fmt.Errorf("--message-b64: %w", err)
		}
		return b, nil
	}
	return nil, nil
}
