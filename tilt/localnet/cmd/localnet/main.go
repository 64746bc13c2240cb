package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/shannon-ops/pocket-relay-miner/tilt/localnet"
)

// exitNotRunning is status's exit code when a recorded process has stopped.
const exitNotRunning = 3

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: localnet up|status|down [-dir DIR] [flags]; localnet <cmd> -h for flags")
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	var err error
	code := 0
	switch args[0] {
	case "up":
		err = up(ctx, args[1:], stdout, stderr)
	case "down":
		err = down(ctx, args[1:], stderr)
	case "status":
		code, err = status(ctx, args[1:], stdout)
	default:
		usage(stderr)
		return 2
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "localnet:", err)
		return 1
	}
	return code
}

func up(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", ".localnet", "directory of the stack (chain home, logs, PIDs, state)")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	redis := fs.Bool("redis", true, "start a redis-server")
	backend := fs.Bool("backend", true, "start the backend-server")
	relayMiner := fs.Bool("relayminer", true, "start poktroll's reference relay miner for supplier1 (implies -backend)")
	ours := fs.Bool("ours", true, "start our relayer and miner (pocket-relay-miner) for supplier1 (needs -redis and -backend)")
	bin := fs.String("bin", "bin/pocket-relay-miner", "the pocket-relay-miner binary for -ours (make build)")
	blocks := fs.Uint64("session-blocks", localnet.DefaultSession().NumBlocksPerSession, "blocks per session")
	timeout := fs.Duration("timeout", 45*time.Minute, "give up after this long (includes a cold pocketd build)")
	var chain localnet.Chain
	fs.DurationVar(&chain.BlockTime, "block-time", localnet.DefaultBlockTime, "time between blocks")
	fs.StringVar(&chain.GasPrice, "gas-price", localnet.DefaultGasPrice, "node minimum gas price, paid by every harness tx (e.g. 0.001upokt)")
	fs.Uint64Var(&chain.ProofSubmissionFee, "proof-fee", 0, "proof_submission_fee in upokt")
	fs.Uint64Var(&chain.TargetNumRelays, "target-num-relays", 0, "service target_num_relays (0: poktroll's default; small values raise the difficulty)")
	fs.Uint64Var(&chain.PoorOperatorBalance, "poor-operator-balance", 0, "genesis balance of supplier3 in upokt (0: like every account)")
	var ports localnet.Ports
	fs.IntVar(&ports.RPC, "rpc-port", 0, "CometBFT RPC port (0 = a free one)")
	fs.IntVar(&ports.GRPC, "grpc-port", 0, "Cosmos gRPC port (0 = a free one)")
	fs.IntVar(&ports.API, "api-port", 0, "Cosmos REST API port (0 = a free one)")
	fs.IntVar(&ports.P2P, "p2p-port", 0, "CometBFT p2p port (0 = a free one)")
	fs.IntVar(&ports.Redis, "redis-port", 0, "redis-server port (0 = a free one)")
	fs.IntVar(&ports.Backend, "backend-port", 0, "backend-server port (0 = a free one)")
	fs.IntVar(&ports.RelayMiner, "relayminer-port", 0, "reference relay miner port, also the staked endpoint (0 = a free one)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sess := localnet.DefaultSession()
	sess.NumBlocksPerSession = *blocks
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	// Without the reference relay miner, supplier1 is staked at our relayer.
	var endpoints []localnet.Endpoint
	relayerPort := 0
	if *ours && !*relayMiner {
		p, err := freePort()
		if err != nil {
			return err
		}
		relayerPort = p
		endpoints = []localnet.Endpoint{{ServiceID: localnet.DefaultServiceID, RPCType: localnet.RPCTypeJSONRPC,
			URL: "http://127.0.0.1:" + strconv.Itoa(p)}}
	}
	l, err := localnet.Up(ctx, localnet.Options{
		Dir: *dir, Redis: *redis, Backend: *backend || *ours, RelayMiner: *relayMiner, Detach: true,
		Session: sess, Endpoints: endpoints, Log: stderr, Chain: chain,
	})
	if err != nil {
		return err
	}
	if *ours {
		if _, err := l.StartOurs(ctx, *bin, relayerPort); err != nil {
			dctx, dcancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
			defer dcancel()
			return errors.Join(err, l.Down(dctx))
		}
	}
	if *asJSON {
		return writeJSON(stdout, l)
	}
	printSummary(stdout, l, l.Status(ctx))
	return nil
}

func down(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("down", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", ".localnet", "directory of the stack")
	if err := fs.Parse(args); err != nil {
		return err
	}
	l, err := localnet.Load(*dir)
	if errors.Is(err, os.ErrNotExist) {
		fmt.Fprintln(stderr, "localnet: nothing recorded in", *dir)
		return nil
	}
	if err != nil {
		return err
	}
	l.SetLog(stderr)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := l.Down(ctx); err != nil {
		return err
	}
	fmt.Fprintln(stderr, "localnet: stopped; chain data kept in", l.Dir)
	return nil
}

func status(ctx context.Context, args []string, stdout io.Writer) (int, error) {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	dir := fs.String("dir", ".localnet", "directory of the stack")
	asJSON := fs.Bool("json", false, "print as JSON")
	if err := fs.Parse(args); err != nil {
		return 1, err
	}
	l, err := localnet.Load(*dir)
	if err != nil {
		return 1, err
	}
	st := l.Status(ctx)
	code := 0
	for _, p := range st.Processes {
		if !p.Running {
			code = exitNotRunning
		}
	}
	if *asJSON {
		return code, writeJSON(stdout, struct {
			*localnet.Localnet
			Status localnet.Status `json:"status"`
		}{l, st})
	}
	printSummary(stdout, l, st)
	return code, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
