//go:build e2e

package mainnet

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shannon-ops/pocket-relay-miner/tilt/localnet"
	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// keyPrefix is the Redis key prefix of our relayer and miner in these tests.
const keyPrefix = "mainnet"

// ourStack is one relayer and one miner replica of ours serving some suppliers on a chain.
type ourStack struct {
	relayerURL     string
	relayerOps     string
	minerOps       string
	relayer, miner *localnet.Proc
	rdb            *redis.Client
	keys           transport.Keys
}

// stackSpec is what differs between the stacks the tests start.
type stackSpec struct {
	dir            string
	keys           []localnet.Account // supplier operator keys in the chain's test keyring
	confirmTimeout time.Duration      // miner tx.confirm_timeout
}

// startStack starts our relayer and miner as processes of l (Down stops them) on l's Redis,
// with l's block time and gas price, and waits until both are ready.
func startStack(ctx context.Context, l *localnet.Localnet, spec stackSpec) (*ourStack, error) {
	if err := os.MkdirAll(spec.dir, 0o755); err != nil {
		return nil, err
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	addr, relayerOps, minerOps := lo(ports[0]), lo(ports[1]), lo(ports[2])
	names := make([]string, len(spec.keys))
	for i, k := range spec.keys {
		names[i] = k.Name
	}
	common := l.OursCommonConfig(keyPrefix, names...)
	relayerCfg := l.OursRelayerConfig(common, addr, relayerOps)
	// A short supplier_recheck makes the miner notice a supplier's stake change within a
	// session, as a long-running miner eventually does on mainnet.
	minerCfg := common + fmt.Sprintf(`replica_id: mainnet-miner
leader: {lease_ttl: 3s, renew_interval: 1s, heartbeat_interval: 1s}
consumer: {batch_size: 100, block_timeout: 500ms, reclaim_idle: 2s, reclaim_interval: 1s}
tx: {chain_id: %s, gas_prices: %s, confirm_timeout: %s}
sessions: {supplier_recheck: 2s, state_ttl_sessions: 4}
metrics: {enabled: true, addr: %s}
health: {addr: %s}
shutdown_timeout: 20s
`, l.ChainID, l.Chain.GasPrice, spec.confirmTimeout, minerOps, minerOps)
	s := &ourStack{relayerURL: "http://" + addr, relayerOps: "http://" + relayerOps, minerOps: "http://" + minerOps,
		keys: transport.MustKeys(keyPrefix)}
	for _, p := range []struct {
		name, cfg, ops string
		addrs          []string
		proc           **localnet.Proc
	}{
		{"relayer", relayerCfg, s.relayerOps, []string{addr, relayerOps}, &s.relayer},
		{"miner", minerCfg, s.minerOps, []string{minerOps}, &s.miner},
	} {
		path := filepath.Join(spec.dir, p.name+".yaml")
		if err := os.WriteFile(path, []byte(p.cfg), 0o600); err != nil {
			return nil, err
		}
		proc, err := l.StartProcess(ctx, localnet.ProcessSpec{Name: "our-" + p.name, Binary: relayBin, Addrs: p.addrs,
			Args: []string{p.name, "--config", path}})
		if err != nil {
			return nil, fmt.Errorf("start our %s: %w\n%s", p.name, err, logTail(proc))
		}
		*p.proc = proc
		if err := waitReady(ctx, p.ops); err != nil {
			return nil, fmt.Errorf("our %s: %w\n%s", p.name, err, logTail(proc))
		}
	}
	opt, err := redis.ParseURL(l.RedisURL)
	if err != nil {
		return nil, err
	}
	s.rdb = redis.NewClient(opt)
	return s, nil
}

func lo(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// freePorts returns n distinct free loopback ports (held open together, then released).
func freePorts(n int) ([]int, error) {
	out := make([]int, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		out = append(out, ln.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

// waitReady polls ops/ready until it answers 200.
func waitReady(ctx context.Context, ops string) error {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ops+"/ready", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// close releases the Redis client (the processes belong to the chain, which stops them).
func (s *ourStack) close() {
	if s != nil && s.rdb != nil {
		_ = s.rdb.Close()
	}
}

// entries reads operator's relay stream.
func (s *ourStack) entries(ctx context.Context, operator string) ([]transport.Message, error) {
	xs, err := s.rdb.XRange(ctx, s.keys.RelayStream(operator), "-", "+").Result()
	if err != nil {
		return nil, err
	}
	out := make([]transport.Message, 0, len(xs))
	for _, x := range xs {
		str, _ := x.Values[transport.MessageField].(string)
		m, err := transport.DecodeString(str)
		if err != nil {
			return nil, fmt.Errorf("stream entry %s: %w", x.ID, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// meterCharged is the upokt the relay meter charged operator in the session (0 when the key
// does not exist).
func (s *ourStack) meterCharged(ctx context.Context, operator, sessionID string) (uint64, error) {
	v, err := s.rdb.Get(ctx, s.keys.Meter(operator, sessionID)).Uint64()
	if err == redis.Nil {
		return 0, nil
	}
	return v, err
}

func logTail(p *localnet.Proc) string {
	if p == nil {
		return ""
	}
	b, _ := os.ReadFile(p.Log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}
