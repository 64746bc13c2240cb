package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/keys"
	"github.com/shannon-ops/pocket-relay-miner/query"
)

// rpcTypeNames maps on-chain endpoint rpc types to the config's backend kinds.
var rpcTypeNames = map[sharedtypes.RPCType]config.RPCType{
	sharedtypes.RPCType_GRPC: config.RPCGRPC, sharedtypes.RPCType_WEBSOCKET: config.RPCWebSocket,
	sharedtypes.RPCType_JSON_RPC: config.RPCJSONRPC, sharedtypes.RPCType_REST: config.RPCREST,
	sharedtypes.RPCType_COMET_BFT: config.RPCCometBFT,
}

// addCheckStake adds --check-stake to `relayer validate`: after the config check, every loaded
// supplier's on-chain services are compared with the configured backends.
func addCheckStake(v *cobra.Command) {
	var check bool
	v.Flags().BoolVar(&check, "check-stake", false, "also query each supplier on chain and compare its staked services and rpc types with the configured backends")
	inner := v.RunE
	v.RunE = func(c *cobra.Command, args []string) error {
		if err := inner(c, args); err != nil || !check {
			return err
		}
		path, _ := c.Flags().GetString("config")
		cfg, err := config.LoadRelayer(path)
		if err != nil {
			return usageError{err}
		}
		ctx, cancel := context.WithTimeout(c.Context(), time.Minute)
		defer cancel()
		return checkStake(ctx, cfg, c.OutOrStdout())
	}
}

func checkStake(ctx context.Context, cfg *config.Relayer, w io.Writer) error {
	km, err := keys.New(keyOptions(&cfg.Keys), zerolog.Nop(), prometheus.NewRegistry())
	if err != nil {
		return usageError{fmt.Errorf("keys: %w", err)}
	}
	q, err := query.New(query.Config{GRPCAddr: cfg.PocketNode.GRPCAddr, CometRPCURL: cfg.PocketNode.RPCURL,
		Insecure: cfg.PocketNode.GRPCInsecure, Timeout: cfg.PocketNode.QueryTimeout, MaxRetries: cfg.PocketNode.QueryRetries},
		prometheus.NewRegistry())
	if err != nil {
		return usageError{err}
	}
	defer q.Close()
	fmt.Fprintln(w, "\nstake check")
	var problems int
	for _, op := range km.Addresses() {
		s, err := q.Supplier(ctx, op)
		if errors.Is(err, query.ErrNotFound) {
			fmt.Fprintf(w, "  %s: not staked\n", op)
			problems++
			continue
		}
		if err != nil {
			return fmt.Errorf("supplier %s: %w", op, err)
		}
		problems += compareStake(w, op, s, cfg)
	}
	if problems > 0 {
		return fmt.Errorf("stake check: %d problem(s)", problems)
	}
	fmt.Fprintln(w, "  every staked service and rpc type has a configured backend")
	return nil
}

// compareStake prints one supplier's staked services against the config and counts staked
// (service, rpc type) pairs that have no backend. Configured services the supplier is not
// staked for are reported but are not problems (another supplier key may use them).
func compareStake(w io.Writer, op string, s *sharedtypes.Supplier, cfg *config.Relayer) int {
	problems := 0
	staked := map[string]bool{}
	for _, sc := range s.Services {
		staked[sc.ServiceId] = true
		svc := cfg.Services[sc.ServiceId]
		for _, ep := range sc.Endpoints {
			t, known := rpcTypeNames[ep.RpcType]
			switch {
			case svc == nil:
				fmt.Fprintf(w, "  %s: %s staked (%s) but not configured\n", op, sc.ServiceId, ep.RpcType)
				problems++
			case !known || svc.Backends[t] == nil:
				// poktroll's rule (relayer.service.resolve): an HTTP relay of a type with no
				// backend of its own is served by the default backend, unless the service is
				// strict; a WebSocket upgrade has no fallback.
				if d, ok := svc.DefaultRPCType(); ok && !svc.StrictRPCType && t != config.RPCWebSocket {
					fmt.Fprintf(w, "  %s: %s %s ok: no %s backend, falls back to the default %s backend\n", op, sc.ServiceId, ep.RpcType, t, d)
					continue
				}
				fmt.Fprintf(w, "  %s: %s %s staked but no %s backend configured\n", op, sc.ServiceId, ep.RpcType, t)
				problems++
			default:
				fmt.Fprintf(w, "  %s: %s %s ok\n", op, sc.ServiceId, ep.RpcType)
			}
		}
	}
	var extra []string
	for id := range cfg.Services {
		if !staked[id] {
			extra = append(extra, id)
		}
	}
	slices.Sort(extra)
	for _, id := range extra {
		fmt.Fprintf(w, "  %s: %s configured but not staked by this supplier\n", op, id)
	}
	return problems
}
