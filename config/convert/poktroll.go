package convert

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

// Options supply what a source file does not hold.
type Options struct {
	// RedisURL is written to both configs. Default config.DefaultRedisURL.
	RedisURL string
	// KeyringBackend is the cosmos keyring backend poktroll was started with
	// (--keyring-backend): test, file or os. Default "test".
	KeyringBackend string
	// KeyringDir is poktroll's --home: the folder holding keyring-<backend>/.
	KeyringDir string
	// PassphraseEnv names the environment variable a file keyring's passphrase is read from.
	// Default "POCKET_KEYRING_PASSPHRASE".
	PassphraseEnv string
}

func (o Options) withDefaults() Options {
	if o.RedisURL == "" {
		o.RedisURL = config.DefaultRedisURL
	}
	if o.KeyringBackend == "" {
		o.KeyringBackend = config.DefaultKeyringBackend
	}
	if o.PassphraseEnv == "" {
		o.PassphraseEnv = "POCKET_KEYRING_PASSPHRASE"
	}
	return o
}

// poktroll v0.1.35's defaults (pkg/relayer/config/relayminer_configs_reader.go), applied here
// so the converted config behaves as the relay miner did, not as our defaults would.
const (
	pkDefaultTimeoutSeconds = 10
	pkDefaultMaxBodySize    = "20MB"
)

// minerOpsAddr keeps the miner's metrics and health off the relayer's defaults, so both run on
// the one host the relay miner ran on.
const minerOpsAddr = "127.0.0.1:9465"

// ErrNotConvertible is returned for a file that parses but cannot be turned into a config that
// runs: one poktroll itself refuses, or one whose format is unknown here.
var ErrNotConvertible = errors.New("not convertible")

// Poktroll converts a poktroll v0.1.35 relay miner config (the file of `pocketd relayminer
// start --config`). name labels errors. It refuses, as poktroll does, a file with no
// suppliers, a supplier without service_id or signing keys, a duplicate service id, an
// unknown rpc type or an unparsable size.
func Poktroll(name string, b []byte, o Options) (*Result, error) {
	o = o.withDefaults()
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("%s: empty file: %w", name, ErrNotConvertible)
	}
	var in pkConfig
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&in); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	walk := walkKeys(&root, pkShape)
	c := &pkConv{in: &in, present: walk.present, opt: o}
	for _, k := range walk.unknown {
		c.skip.add(k, "not a key of poktroll v0.1.35's relay miner config, which ignores it too")
	}
	r, m, err := c.convert()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := checkRelayer(r); err != nil {
		return nil, err
	}
	if err := checkMiner(m); err != nil {
		return nil, err
	}
	header := "# Converted by `pocket-relay-miner config convert --from poktroll` from " + name + ".\n" +
		"# Review the keys it reports as not converted before deploying.\n"
	res := &Result{Skipped: c.skip}
	if res.Relayer, err = encode(header, r); err != nil {
		return nil, err
	}
	if res.Miner, err = encode(header, m); err != nil {
		return nil, err
	}
	return res, nil
}

type pkConv struct {
	in      *pkConfig
	present map[string]bool
	opt     Options
	skip    skips
}

func (c *pkConv) convert() (relayerOut, minerOut, error) {
	in := c.in
	var r relayerOut
	if len(in.Suppliers) == 0 {
		return r, minerOut{}, fmt.Errorf("suppliers: none configured (poktroll refuses this too): %w", ErrNotConvertible)
	}
	node, err := c.pocketNode()
	if err != nil {
		return r, minerOut{}, err
	}
	keys, err := c.keys()
	if err != nil {
		return r, minerOut{}, err
	}
	r.Redis = redisOut{URL: c.opt.RedisURL}
	r.PocketNode, r.Keys = node, keys
	c.skip.add("redis.url", "not in poktroll's config (it keeps trees on local disk); set to %s (--redis-url)", c.opt.RedisURL)
	c.skip.add("pocket_node.block_time", "not in poktroll's config; our default %s applies (it paces fallbacks and TTLs): set the chain's, 1s on a localnet", config.DefaultNodeBlockTime)

	// poktroll's eager flag off means "serve unknown sessions first, validate before mining":
	// our optimistic mode. Written either way, since our default (eager) differs.
	r.DefaultValidationMode = string(config.ValidationOptimistic)
	if in.EnableEagerRelayRequestValidation {
		r.DefaultValidationMode = string(config.ValidationEager)
	}
	if in.EnableOverServicing {
		r.Meter = &meterOut{Enabled: false} // poktroll serves past the stake's budget: no meter
	}
	defSize, err := c.size("default_max_body_size", in.DefaultMaxBodySize, pkDefaultMaxBodySize)
	if err != nil {
		return r, minerOut{}, err
	}
	r.DefaultMaxBodyBytes = defSize.String()
	c.ops(&r)
	c.dropped()

	if r.ListenAddr, r.Services, err = c.services(defSize); err != nil {
		return r, minerOut{}, err
	}
	m := minerOut{Redis: r.Redis, PocketNode: node, Keys: keys,
		Metrics: &metricsOut{Enabled: true, Addr: minerOpsAddr}, Health: &healthOut{Addr: minerOpsAddr}}
	return r, m, nil
}

// pocketNode maps poktroll's three node URLs onto our one node: queries and txs go to the same
// CometBFT RPC, as the relay miner's query_node_rpc_url defaults to tx_node_rpc_url.
func (c *pkConv) pocketNode() (pocketNodeOut, error) {
	pn := c.in.PocketNode
	if pn.TxNodeRPCURL == "" {
		return pocketNodeOut{}, fmt.Errorf("pocket_node.tx_node_rpc_url: required (poktroll refuses the file without it): %w", ErrNotConvertible)
	}
	if pn.QueryNodeGRPCURL == "" {
		return pocketNodeOut{}, fmt.Errorf("pocket_node.query_node_grpc_url: required (poktroll refuses the file without it): %w", ErrNotConvertible)
	}
	rpc := pn.QueryNodeRPCURL
	if rpc == "" {
		rpc = pn.TxNodeRPCURL
	}
	var out pocketNodeOut
	u, err := url.Parse(rpc)
	if err != nil || u.Host == "" {
		return out, fmt.Errorf("pocket_node.query_node_rpc_url: want an absolute URL, got %q: %w", rpc, ErrNotConvertible)
	}
	if u.Scheme == "tcp" {
		u.Scheme = "http" // CometBFT's tcp:// is plain HTTP
	}
	out.RPCURL = u.String()
	if pn.TxNodeRPCURL != rpc {
		c.skip.add("pocket_node.tx_node_rpc_url", "claims and proofs are broadcast through pocket_node.rpc_url (%s); one node serves queries and txs", out.RPCURL)
	}
	g, err := url.Parse(pn.QueryNodeGRPCURL)
	if err != nil || g.Host == "" {
		return out, fmt.Errorf("pocket_node.query_node_grpc_url: want an absolute URL, got %q: %w", pn.QueryNodeGRPCURL, ErrNotConvertible)
	}
	out.GRPCAddr = g.Host
	if g.Port() == "" {
		port := "9090"
		if g.Scheme == "https" {
			port = "443"
		}
		out.GRPCAddr = net.JoinHostPort(g.Hostname(), port)
	}
	// `pocketd relayminer start` defaults --grpc-insecure to true; only an https URL says TLS.
	out.GRPCInsecure = g.Scheme != "https"
	return out, nil
}

// keys gathers every signing key name, default and per supplier, into one keyring source: a
// key name is never dropped.
func (c *pkConv) keys() (keysOut, error) {
	var names []string
	seen := map[string]bool{}
	addNames := func(ns []string) {
		for _, n := range ns {
			if n != "" && !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	addNames(c.in.DefaultSigningKeyNames)
	for i, s := range c.in.Suppliers {
		if len(s.SigningKeyNames) == 0 && len(c.in.DefaultSigningKeyNames) == 0 {
			return keysOut{}, fmt.Errorf("suppliers[%d].signing_key_names: empty and no default_signing_key_names (poktroll refuses this too): %w", i, ErrNotConvertible)
		}
		addNames(s.SigningKeyNames)
		if len(s.SigningKeyNames) > 0 && !slices.Equal(s.SigningKeyNames, c.in.DefaultSigningKeyNames) {
			c.skip.add(fmt.Sprintf("suppliers[%d].signing_key_names", i),
				"merged into keys.keyring.key_names: every loaded key may answer any configured service it is staked for (the session names the supplier)")
		}
	}
	kr := &keyringOut{Backend: c.opt.KeyringBackend, Dir: c.opt.KeyringDir, KeyNames: names}
	if kr.Backend == "file" {
		kr.Passphrase = "${" + c.opt.PassphraseEnv + "}"
	}
	return keysOut{Keyring: kr}, nil
}

// ops maps metrics and pprof. The relayer takes poktroll's addresses; pprof stays on loopback.
func (c *pkConv) ops(r *relayerOut) {
	if c.present["metrics"] {
		r.Metrics = &metricsOut{Enabled: c.in.Metrics.Enabled, Addr: c.in.Metrics.Addr}
	}
	if c.present["pprof"] {
		p := &pprofOut{Enabled: c.in.Pprof.Enabled, Addr: c.in.Pprof.Addr}
		if host, port, err := net.SplitHostPort(p.Addr); err == nil && !isLoopback(host) {
			p.Addr = net.JoinHostPort("127.0.0.1", port)
			c.skip.add("pprof.addr", "pprof must listen on loopback here; moved from %s to %s", c.in.Pprof.Addr, p.Addr)
		}
		r.Pprof = p
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// dropped reports the keys that have no counterpart, when the file sets them.
func (c *pkConv) dropped() {
	for _, d := range []struct{ key, reason string }{
		{"smt_store_path", "not needed: session trees live in Redis (redis.url), not on local disk"},
		{"disable_smt_persistence", "not needed: trees are always persisted in Redis, and a restart resumes them"},
		{"ping", "no ping server: /ready on health.addr reports readiness; add health_check to a backend to probe it"},
		{"served_relays_buffer_size", "no counterpart: mined relays wait in publish.backlog (default 100000; drops are counted)"},
		{"mining_pipeline_buffer_size", "no counterpart: the miner applies relays in batches of consumer.batch_size"},
		{"mining_workers", "no counterpart: relays are hashed on the relayer's post-response pool and in the miner's batches"},
	} {
		// A disabled ping server and enabled persistence are what this project does anyway.
		off := (d.key == "ping" && !c.in.Ping.Enabled) || (d.key == "disable_smt_persistence" && !c.in.DisableSMTPersistence)
		if c.present[d.key] && !off {
			c.skip.add(d.key, "%s", d.reason)
		}
	}
}

// size parses a poktroll size (docker/go-units RAMInBytes: binary multiples, "20MB" is 20 MiB).
func (c *pkConv) size(key, v, def string) (config.ByteSize, error) {
	if v == "" {
		v = def
	}
	n, err := ramInBytes(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %w (poktroll refuses it too): %w", key, err, ErrNotConvertible)
	}
	return config.ByteSize(n), nil
}
