package localnet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Ours is our relayer and miner (pocket-relay-miner) running as processes of the stack for
// supplier1, on the stack's Redis, forwarding the service's JSON-RPC to the backend.
type Ours struct {
	// RelayerURL is where relays go (--supplier-public-endpoint-override, or a staked endpoint).
	RelayerURL string `json:"relayer_url"`
	// RelayerOps and MinerOps serve /health, /ready and /metrics.
	RelayerOps string `json:"relayer_ops"`
	MinerOps   string `json:"miner_ops"`
	// RelayerLog and MinerLog are the processes' log files.
	RelayerLog string `json:"relayer_log"`
	MinerLog   string `json:"miner_log"`
}

// StartOurs starts `pocket-relay-miner relayer` on relayerPort (0: a free one) and one
// `pocket-relay-miner miner` replica, both with supplier1's key from the chain's test keyring,
// and records them (Down stops them). The stack needs Redis and the backend.
func (l *Localnet) StartOurs(ctx context.Context, bin string, relayerPort int) (*Ours, error) {
	if l.RedisURL == "" || l.BackendURL == "" {
		return nil, errors.New("localnet: our relayer and miner need the stack's redis and backend")
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	if relayerPort == 0 {
		relayerPort = ports[0]
	}
	addr := "127.0.0.1:" + strconv.Itoa(relayerPort)
	relayerOps, minerOps := "127.0.0.1:"+strconv.Itoa(ports[1]), "127.0.0.1:"+strconv.Itoa(ports[2])
	dir := filepath.Join(l.Dir, "ours")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	relayerCfg, minerCfg := l.oursConfigs(addr, relayerOps, minerOps)
	ours := &Ours{RelayerURL: "http://" + addr, RelayerOps: "http://" + relayerOps, MinerOps: "http://" + minerOps}
	for _, p := range []struct {
		name, cfg, addr string
		log             *string
	}{
		{"relayer", relayerCfg, relayerOps, &ours.RelayerLog},
		{"miner", minerCfg, minerOps, &ours.MinerLog},
	} {
		path := filepath.Join(dir, p.name+".yaml")
		if err := os.WriteFile(path, []byte(p.cfg), 0o600); err != nil {
			return nil, err
		}
		proc, err := l.StartProcess(ctx, ProcessSpec{Name: p.name, Binary: bin, Addrs: []string{p.addr},
			Args: []string{p.name, "--config", path}})
		if err != nil {
			if proc != nil {
				err = fmt.Errorf("%w\n%s", err, tail(proc.Log, 20))
			}
			return nil, fmt.Errorf("localnet: start our %s: %w", p.name, err)
		}
		*p.log = proc.Log
		l.logf("our %s: pid %d, ops %s, log %s", p.name, proc.PID, "http://"+p.addr, proc.Log)
	}
	l.Ours = ours
	return ours, l.save()
}

// OursCommonConfig is the part our relayer and miner configs share on this chain: Redis with
// keyPrefix, the node with the chain's block time, and keyNames from the test keyring.
func (l *Localnet) OursCommonConfig(keyPrefix string, keyNames ...string) string {
	c := l.Chain.withDefaults() // a state file from before Chain existed has none
	return fmt.Sprintf(`redis: {url: %q, key_prefix: %s}
pocket_node: {rpc_url: %q, grpc_addr: %q, grpc_insecure: true, block_time: %s}
keys:
  keyring: {backend: test, dir: %q, key_names: [%s]}
logging: {level: info, format: console}
`, l.RedisURL, keyPrefix, l.RPCURL, l.GRPCAddr, c.BlockTime, l.Home, strings.Join(keyNames, ", "))
}

// OursRelayerConfig is our relayer's config on this chain: common (OursCommonConfig), serving
// on addr with the backend-server as the service's jsonrpc backend, ops endpoints on ops.
func (l *Localnet) OursRelayerConfig(common, addr, ops string) string {
	return common + fmt.Sprintf(`listen_addr: %s
services:
  %s:
    validation_mode: eager
    backends:
      jsonrpc: {url: %q, timeout: 10s}
meter: {enabled: true, fail_mode: closed}
metrics: {enabled: true, addr: %s}
health: {addr: %s}
shutdown_timeout: 10s
`, addr, l.ServiceID, l.BackendURL, ops, ops)
}

// oursConfigs returns the config files of our relayer (serving on addr) and miner. Both carry
// the chain's block time (pocket_node.block_time) and the miner pays its gas price.
func (l *Localnet) oursConfigs(addr, relayerOps, minerOps string) (relayerCfg, minerCfg string) {
	c := l.Chain.withDefaults()
	common := l.OursCommonConfig("localnet", l.Accounts.Supplier.Name)
	relayerCfg = l.OursRelayerConfig(common, addr, relayerOps)
	minerCfg = common + fmt.Sprintf(`replica_id: localnet-miner-1
leader: {lease_ttl: 6s, renew_interval: 2s, heartbeat_interval: 2s}
consumer: {block_timeout: 500ms, reclaim_idle: 5s, reclaim_interval: 2s}
tx: {chain_id: %s, confirm_timeout: 10s, gas_prices: %s}
sessions: {supplier_recheck: 30s}
metrics: {enabled: true, addr: %s}
health: {addr: %s}
shutdown_timeout: 20s
`, l.ChainID, c.GasPrice, minerOps, minerOps)
	return relayerCfg, minerCfg
}
