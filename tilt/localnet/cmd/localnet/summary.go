package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/shannon-ops/pocket-relay-miner/tilt/localnet"
)

// printSummary writes what runs where, the keys, and commands to try.
func printSummary(w io.Writer, l *localnet.Localnet, st localnet.Status) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\nPocket localnet (chain %q, height %d) in %s\n\n", l.ChainID, st.Height, l.Dir)
	fmt.Fprintln(tw, "ENDPOINT\tADDRESS")
	row := func(name, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", name, v)
		}
	}
	row("CometBFT RPC", l.RPCURL+"  (--node "+l.NodeRPC+")")
	row("Cosmos gRPC", l.GRPCAddr+"  (plaintext)")
	row("Cosmos REST", l.APIURL)
	row("Redis", l.RedisURL)
	row("Backend (JSON-RPC, REST, /ws, gRPC h2c, SSE, NDJSON)", l.BackendURL)
	row("Reference relay miner (pocketd relayminer)", l.RelayMinerURL)
	if o := l.Ours; o != nil {
		row("Our relayer (pocket-relay-miner relayer)", o.RelayerURL+"  (ops "+o.RelayerOps+")")
		row("Our miner (pocket-relay-miner miner)", o.MinerOps+"/metrics, /ready")
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "PROCESS\tPID\tRUNNING\tLOG")
	for _, p := range st.Processes {
		fmt.Fprintf(tw, "%s\t%d\t%v\t%s\n", p.Name, p.PID, p.Running, p.Log)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "KEY (keyring-backend test)\tADDRESS")
	a := l.Accounts
	for _, k := range []localnet.Account{a.Validator, a.ServiceOwner, a.Gateway, a.Application, a.Supplier} {
		fmt.Fprintf(tw, "%s\t%s\n", k.Name, k.Address)
	}
	fmt.Fprintln(tw)
	fmt.Fprintf(tw, "SERVICE %q (compute units per relay %d), supplier endpoints:\n", l.ServiceID, l.ComputeUnitsPerRelay)
	for _, e := range l.Endpoints {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", e.ServiceID, e.RPCType, e.URL)
	}
	s := l.Session
	fmt.Fprintf(tw, "SESSIONS: %d blocks of ~1s; grace %d, claim window +%d/+%d, proof window +%d/+%d\n",
		s.NumBlocksPerSession, s.GracePeriodEndOffset, s.ClaimWindowOpenOffset, s.ClaimWindowCloseOffset,
		s.ProofWindowOpenOffset, s.ProofWindowCloseOffset)
	_ = tw.Flush()

	fmt.Fprintln(w, "\nTry:")
	p := "bin/pocketd"
	fmt.Fprintf(w, "  %s q session get-session %s %s $(curl -s %s/status | jq -r .result.sync_info.latest_block_height) --node %s --home %s\n",
		p, a.Application.Address, l.ServiceID, l.RPCURL, l.NodeRPC, l.Home)
	if l.RelayMinerURL != "" {
		args := l.RelayArgs(`{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}`, 5, l.RelayMinerURL)
		fmt.Fprintf(w, "  %s %s\n", p, shellJoin(args))
	}
	if o := l.Ours; o != nil {
		args := l.RelayArgs(`{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}`, 5, o.RelayerURL)
		fmt.Fprintf(w, "  %s %s   # through our relayer and miner\n", p, shellJoin(args))
		fmt.Fprintln(w, "\nWatch our claims and proofs settle (a session ending at E settles in block E+6):")
		fmt.Fprintf(w, "  tail -f %s | grep --line-buffered 'session state'   # active → claiming → claimed → proving → proved → settled\n", o.MinerLog)
		fmt.Fprintf(w, "  curl -s %s/metrics | grep -E '^relayminer_(miner_(claims|proofs|relays_claimed|relays_applied)_total|lease_owned_suppliers)'\n", o.MinerOps)
		fmt.Fprintf(w, "  curl -s '%s/block_results?height=E+6' | jq '.result.finalize_block_events[] | select(.type|test(\"ClaimSettled\"))'\n", l.RPCURL)
	}
	if l.BackendURL != "" {
		fmt.Fprintf(w, "  curl -s %s/ -d '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_blockNumber\"}'\n", l.BackendURL)
	}
	fmt.Fprintf(w, "  %s q bank balances %s --node %s\n", p, a.Supplier.Address, l.NodeRPC)
	fmt.Fprintf(w, "  curl -s '%s/block_results?height=N' | jq '.result.finalize_block_events[].type'\n", l.RPCURL)
	fmt.Fprintln(w, "  make localnet-down")
}

// shellJoin quotes the arguments that need it for a POSIX shell.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \"'{}[]$*?;&|<>()\\`") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}
