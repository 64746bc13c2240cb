package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestExampleConfigsValidate(t *testing.T) {
	if _, err := LoadRelayer("../config.relayer.example.yaml"); err != nil {
		t.Errorf("relayer example: %v", err)
	}
	if _, err := LoadMiner("../config.miner.example.yaml"); err != nil {
		t.Errorf("miner example: %v", err)
	}
}

func TestMinimalRelayerGetsDefaults(t *testing.T) {
	c, err := LoadRelayer("testdata/relayer.minimal.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b := c.Services["eth"].Backends[RPCJSONRPC]
	if b.Timeout != DefaultBackendTimeout || b.Selection != DefaultBackendSelection || b.MaxConns != DefaultBackendMaxConns {
		t.Errorf("backend defaults not applied: %+v", b)
	}
	if c.Services["eth"].ValidationMode != DefaultValidationMode || c.Services["eth"].MaxBodyBytes != DefaultMaxBodyBytes {
		t.Errorf("service defaults not applied: %+v", c.Services["eth"])
	}
	// A section named in the file keeps the defaults of the keys it does not name.
	if !c.Metrics.Enabled || c.Metrics.Addr != "127.0.0.1:9999" {
		t.Errorf("metrics = %+v, want enabled with the file's addr", c.Metrics)
	}
	if c.Transports != DefaultTransports() || c.Transports.Streaming.BatchBytes != 64<<10 {
		t.Errorf("transport defaults not applied: %+v", c.Transports)
	}
	if c.Redis.URL.Value() != DefaultRedisURL || c.ListenAddr != DefaultRelayerListenAddr {
		t.Errorf("common defaults lost: redis=%s listen=%s", c.Redis.URL.Value(), c.ListenAddr)
	}
}

func TestEmptyFileMeansDefaults(t *testing.T) {
	m, err := ParseMiner("empty.yaml", nil)
	// Defaults alone have no key source, which is the only thing an empty file lacks.
	if err == nil || !strings.Contains(err.Error(), "keys: no key source") {
		t.Fatalf("err = %v, want only the missing key source", err)
	}
	if strings.Count(err.Error(), "\n") != 0 {
		t.Fatalf("empty file reported more than the key source:\n%v", err)
	}
	if m.Leader.LeaseTTL != DefaultLeaseTTL {
		t.Fatalf("lease ttl = %s", m.Leader.LeaseTTL)
	}
}

func TestBadConfigs(t *testing.T) {
	tests := []struct {
		file    string
		miner   bool
		wantErr string
	}{
		{file: "relayer.misspelled.bad.yaml", wantErr: "services.eth.backends.jsonrpc.timout (line 8): unknown key"},
		{file: "relayer.badurl.bad.yaml", wantErr: "services.eth.backends.jsonrpc.url (line 7): want an absolute http/https URL"},
		{file: "relayer.badtype.bad.yaml", wantErr: "services.eth.backends.jsonrpc.timeout (line 8): cannot unmarshal"},
		{file: "relayer.duplicate.bad.yaml", wantErr: "duplicate key"},
		{file: "relayer.rpctype.bad.yaml", wantErr: `services.eth.backends.json-rpc (line 6): unknown rpc type "json-rpc"`},
		{file: "relayer.defaultbackend.bad.yaml", wantErr: `services.eth.default_backend (line 5): "rest" has no backend in services.eth.backends`},
		{file: "relayer.nokeys.bad.yaml", wantErr: "keys: no key source"},
		{file: "relayer.pprof.bad.yaml", wantErr: "pprof.addr (line 5): pprof exposes process internals"},
		{file: "relayer.env.bad.yaml", wantErr: "services.eth.backends.rest.bearer_token (line 8): environment variable PRM_TEST_SURELY_UNSET_VAR is not set"},
		{file: "relayer.bothurls.bad.yaml", wantErr: "services.eth.backends.rest.urls (line 8): set url or urls, not both"},
		{file: "relayer.pongwait.bad.yaml", wantErr: "transports.websocket.pong_wait (line 6): must be more than ping_interval (30s)"},
		{file: "relayer.batchbytes.bad.yaml", wantErr: "transports.streaming.batch_bytes (line 5): must be at most max_bytes (1MiB)"},
		{file: "relayer.sendqueue.bad.yaml", wantErr: "transports.websocket.send_queue (line 5): must be positive"},
		{file: "relayer.recheck.bad.yaml", wantErr: "ring_recheck.sample_rate (line 4): must be a fraction in 0..1 (0 disables it), got 1.5"},
		{file: "miner.renew.bad.yaml", miner: true, wantErr: "leader.renew_interval (line 5): must be at most a third of lease_ttl"},
		{file: "miner.unknown.bad.yaml", miner: true, wantErr: "tx.gas_price (line 4): unknown key"},
		{file: "relayer.blocktime-zero.bad.yaml", wantErr: "pocket_node.block_time (line 4): must be a positive duration such as 1s or 30s, got 0s"},
		{file: "miner.blocktime-negative.bad.yaml", miner: true, wantErr: "pocket_node.block_time (line 5): must be a positive duration such as 1s or 30s, got -1s"},
		{file: "miner.blocktime-absurd.bad.yaml", miner: true, wantErr: "pocket_node.block_time (line 4): must be at most 10m0s (the chain's expected time between blocks), got 24h0m0s"},
		{file: "miner.linger-long.bad.yaml", miner: true, wantErr: "consumer.linger (line 4): must be in 0..1s (0 disables it), got 5s"},
		{file: "miner.confirm-negative.bad.yaml", miner: true, wantErr: "tx.confirm_timeout (line 4): must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			var err error
			if tt.miner {
				_, err = LoadMiner(path)
			} else {
				_, err = LoadRelayer(path)
			}
			if err == nil {
				t.Fatal("loaded without error")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error:\n%v\nwant it to contain:\n%s", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), path+": ") {
				t.Fatalf("error does not start with the file name: %v", err)
			}
			if strings.Contains(err.Error(), "secret-api-key") {
				t.Fatalf("error leaks a URL that may hold credentials: %v", err)
			}
		})
	}
}

// The confirm wait is derived from the block time by default: a fixed default equal to the
// block time gave up on txs that land a few blocks later (issue 13, item 4).
func TestConfirmTimeoutDefaultsToDerived(t *testing.T) {
	if d := DefaultMiner().Tx.ConfirmTimeout; d != 0 {
		t.Fatalf("default tx.confirm_timeout %v, want 0 (derived per tx)", d)
	}
}

func TestBlockTime(t *testing.T) {
	const keys = "keys: {keys_dir: /k}\n"
	tests := []struct {
		name, yaml string
		want       time.Duration
	}{
		{name: "default", yaml: keys, want: DefaultNodeBlockTime},
		{name: "section without the key", yaml: keys + "pocket_node: {query_retries: 1}\n", want: DefaultNodeBlockTime},
		{name: "localnet", yaml: keys + "pocket_node: {block_time: 1s}\n", want: time.Second},
		{name: "sub-second", yaml: keys + "pocket_node: {block_time: 1500ms}\n", want: 1500 * time.Millisecond},
		{name: "upper bound", yaml: keys + "pocket_node: {block_time: 10m}\n", want: MaxNodeBlockTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMiner("m.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if m.PocketNode.BlockTime != tt.want {
				t.Fatalf("miner block_time = %s, want %s", m.PocketNode.BlockTime, tt.want)
			}
			r, err := ParseRelayer("r.yaml", []byte(tt.yaml+"services: {eth: {backends: {jsonrpc: {url: \"http://h:1\"}}}}\n"))
			if err != nil {
				t.Fatal(err)
			}
			if r.PocketNode.BlockTime != tt.want {
				t.Fatalf("relayer block_time = %s, want %s", r.PocketNode.BlockTime, tt.want)
			}
		})
	}
	// A bare number is not a duration: it is a type error naming the key, not 5ns.
	_, err := ParseMiner("m.yaml", []byte(keys+"pocket_node:\n  block_time: 5\n"))
	if err == nil || !strings.Contains(err.Error(), "m.yaml: pocket_node.block_time (line 3): cannot unmarshal") {
		t.Fatalf("err = %v, want a type error on pocket_node.block_time", err)
	}
	for _, d := range []time.Duration{0, -time.Second, MaxNodeBlockTime + 1, 24 * time.Hour} {
		if CheckBlockTime(d) == nil {
			t.Errorf("CheckBlockTime(%s) accepted", d)
		}
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	t.Setenv("PRM_TEST_TOKEN", "tok-3f9a")
	t.Setenv("PRM_TEST_REDIS", "redis://u:pw-77c1@127.0.0.1:6380")
	src := `
redis: {url: "${PRM_TEST_REDIS}"}
keys: {keyring: {backend: file, dir: /k, passphrase: "${PRM_TEST_TOKEN}", key_names: [a]}}
services:
  eth:
    backends:
      rest: {url: "http://h:1/key-${PRM_TEST_TOKEN}", bearer_token: "${PRM_TEST_TOKEN}"}
      jsonrpc: {url: "http://h:1", basic_auth: {username: u, password: "${PRM_TEST_TOKEN}"}}
`
	c, err := ParseRelayer("inline.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Services["eth"].Backends[RPCREST].BearerToken.Value(); got != "tok-3f9a" {
		t.Fatalf("bearer token = %q, want the environment's value", got)
	}
	if c.Redis.URL.Value() != "redis://u:pw-77c1@127.0.0.1:6380" {
		t.Fatalf("redis url not expanded: %q", c.Redis.URL.Value())
	}
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"tok-3f9a", "pw-77c1"} {
		if strings.Contains(string(out), leak) {
			t.Fatalf("marshalled config contains %s:\n%s", leak, out)
		}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			for _, b := range c.Services["eth"].Backends {
				if s := sprintf(verb, *b) + sprintf(verb, b.BasicAuth); strings.Contains(s, leak) {
					t.Fatalf("%s of a backend leaks %s: %s", verb, leak, s)
				}
			}
			if s := sprintf(verb, c.Keys) + sprintf(verb, c.Common); strings.Contains(s, leak) {
				t.Fatalf("%s of keys leaks %s: %s", verb, leak, s)
			}
		}
	}
}

func TestEnvFallback(t *testing.T) {
	var s Secret
	n := &yaml.Node{Kind: yaml.ScalarNode, Value: "a-${PRM_TEST_SURELY_UNSET_VAR:-dflt}-b", Line: 1}
	if err := s.UnmarshalYAML(n); err != nil || s.Value() != "a-dflt-b" {
		t.Fatalf("got %q, %v", s.Value(), err)
	}
}

func TestByteSize(t *testing.T) {
	for in, want := range map[string]ByteSize{"512": 512, "64KiB": 64 << 10, "10MiB": 10 << 20, "1GiB": 1 << 30, "2MB": 2 << 20} {
		got, err := ParseByteSize(in)
		if err != nil || got != want {
			t.Errorf("%s: got %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1.5MiB", "ten", "1TiB"} {
		if _, err := ParseByteSize(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	if s := ByteSize(10 << 20).String(); s != "10MiB" {
		t.Errorf("String = %s", s)
	}
}

func TestDurationsRejectBareNumbers(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.yaml")
	if err := os.WriteFile(p, []byte("keys: {keys_dir: /k}\nleader: {lease_ttl: 15}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadMiner(p)
	if err == nil || !strings.Contains(err.Error(), "leader.lease_ttl (line 2)") {
		t.Fatalf("err = %v", err)
	}
	_ = time.Second
}
