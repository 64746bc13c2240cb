package convert

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/poktroll")

// Golden conversions of poktroll v0.1.35 relay miner configs: two files of poktroll's own
// localnet, copied unchanged, and one written to reach every other mapping. Each yields
// NAME.relayer.golden.yaml, NAME.miner.golden.yaml and NAME.skipped.golden.txt (the table an
// operator reads), and both configs must load with the strict loaders the commands use.
func TestPoktrollGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  Options
	}{
		{"relayminer_config_full_example", Options{KeyringDir: "/home/op/.pocket"}},
		{"relayminer_config_localnet_vscode", Options{KeyringDir: "/home/op/.pocket", RedisURL: "redis://10.0.0.5:6379/2"}},
		{"edge_cases", Options{KeyringDir: "/home/op/.pocket", KeyringBackend: "file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := readFile(t, filepath.Join("testdata/poktroll", tc.name+".yaml"))
			res, err := Poktroll(tc.name+".yaml", in, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			base := filepath.Join("testdata/poktroll", tc.name)
			golden(t, base+".relayer.golden.yaml", res.Relayer)
			golden(t, base+".miner.golden.yaml", res.Miner)
			golden(t, base+".skipped.golden.txt", []byte(FormatTable(res.Skipped)))

			t.Setenv("POCKET_KEYRING_PASSPHRASE", "test-passphrase")
			dir := t.TempDir()
			rp, mp := filepath.Join(dir, "relayer.yaml"), filepath.Join(dir, "miner.yaml")
			writeFile(t, rp, res.Relayer)
			writeFile(t, mp, res.Miner)
			r, err := config.LoadRelayer(rp)
			if err != nil {
				t.Fatalf("converted relayer config does not load: %v", err)
			}
			if _, err := config.LoadMiner(mp); err != nil {
				t.Fatalf("converted miner config does not load: %v", err)
			}
			assertNothingDropped(t, in, r, res.Skipped)
		})
	}
}

// assertNothingDropped checks the promise of the package against the input itself: every
// service id and signing key name is in the relayer config, and every backend URL is either
// one of its service's backends or its key is reported.
func assertNothingDropped(t *testing.T, in []byte, r *config.Relayer, skipped []Skipped) {
	t.Helper()
	var pk pkConfig
	if err := yaml.Unmarshal(in, &pk); err != nil {
		t.Fatal(err)
	}
	reported := map[string]bool{}
	for _, s := range skipped {
		reported[s.Key] = true
	}
	keys := map[string]bool{}
	for _, k := range r.Keys.Keyring.KeyNames {
		keys[k] = true
	}
	for _, k := range pk.DefaultSigningKeyNames {
		if !keys[k] {
			t.Errorf("signing key %q dropped", k)
		}
	}
	for i, s := range pk.Suppliers {
		svc := r.Services[s.ServiceID]
		if svc == nil {
			t.Errorf("service %q dropped", s.ServiceID)
			continue
		}
		for _, k := range s.SigningKeyNames {
			if !keys[k] {
				t.Errorf("signing key %q of %s dropped", k, s.ServiceID)
			}
		}
		urls := map[string]bool{}
		for _, b := range svc.Backends {
			for _, u := range b.Endpoints() {
				urls[u.Value()] = true
			}
		}
		at := "suppliers[" + itoa(i) + "]"
		if !urls[s.ServiceConfig.BackendURL] && !reported[at+".service_config"] {
			t.Errorf("%s: default backend %s dropped without a report", s.ServiceID, s.ServiceConfig.BackendURL)
		}
		for k, sc := range s.RPCTypeServiceConfigs {
			if !urls[sc.BackendURL] {
				t.Errorf("%s: %s backend %s dropped", s.ServiceID, k, sc.BackendURL)
			}
		}
	}
}

// Poktroll's rule for the default service_config, seen from a gateway: a relay whose Rpc-Type
// has no config of its own, or that has none, gets the default (pkg/relayer/proxy/sync.go,
// getServiceConfig). The conversion keeps that by naming the default's slot default_backend.
func TestPoktrollDefaultBackendSlot(t *testing.T) {
	for _, tc := range []struct {
		name, typed  string // typed: rpc_type_service_configs body
		wantDefault  string
		wantBackends []string
	}{
		{"default only", "", "jsonrpc", []string{"jsonrpc"}},
		{"default equals json_rpc", "json_rpc: {backend_url: 'http://d:1'}", "jsonrpc", []string{"jsonrpc"}},
		{"default differs from json_rpc", "json_rpc: {backend_url: 'http://j:1'}", "rest", []string{"jsonrpc", "rest"}},
		{"rest typed", "rest: {backend_url: 'http://r:1'}", "jsonrpc", []string{"jsonrpc", "rest"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "default_signing_key_names: [k]\nsmt_store_path: /x\npocket_node: {tx_node_rpc_url: 'tcp://n:26657', query_node_grpc_url: 'tcp://n:9090'}\n" +
				"suppliers:\n- service_id: s\n  listen_url: http://0.0.0.0:8545\n  service_config: {backend_url: 'http://d:1'}\n"
			if tc.typed != "" {
				src += "  rpc_type_service_configs: {" + tc.typed + "}\n"
			}
			res, err := Poktroll("t.yaml", []byte(src), Options{KeyringDir: "/k"})
			if err != nil {
				t.Fatal(err)
			}
			r, err := config.ParseRelayer("t", res.Relayer)
			if err != nil {
				t.Fatal(err)
			}
			svc := r.Services["s"]
			if string(svc.DefaultBackend) != tc.wantDefault {
				t.Errorf("default_backend = %q, want %q", svc.DefaultBackend, tc.wantDefault)
			}
			var got []string
			for _, rt := range config.RPCTypes {
				if svc.Backends[rt] != nil {
					got = append(got, string(rt))
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.wantBackends, ",") {
				t.Errorf("backends = %v, want %v", got, tc.wantBackends)
			}
			if d := svc.Backends[svc.DefaultBackend]; d.URL.Value() != "http://d:1" {
				t.Errorf("default backend url = %q, want the service_config's", d.URL.Value())
			}
		})
	}
}

// Files poktroll itself refuses (or that are not YAML) are errors, never a partial config.
func TestPoktrollRefuses(t *testing.T) {
	const node = "pocket_node: {tx_node_rpc_url: 'tcp://n:26657', query_node_grpc_url: 'tcp://n:9090'}\n"
	const sup = "- service_id: s\n  listen_url: http://0.0.0.0:8545\n  service_config: {backend_url: 'http://d:1'}\n"
	for _, tc := range []struct {
		name, src, want string
		convertible     bool // false: the error wraps ErrNotConvertible
	}{
		{"not yaml", "suppliers: [", "t.yaml", true},
		{"empty", "", "empty file", false},
		{"no suppliers", "default_signing_key_names: [k]\n" + node, "suppliers: none configured", false},
		{"no keys", node + "suppliers:\n" + sup, "suppliers[0].signing_key_names", false},
		{"no tx node", "default_signing_key_names: [k]\nsuppliers:\n" + sup, "pocket_node.tx_node_rpc_url", false},
		{"duplicate service", "default_signing_key_names: [k]\n" + node + "suppliers:\n" + sup + sup, "configured twice", false},
		{"bad rpc type", "default_signing_key_names: [k]\n" + node + "suppliers:\n" + sup + "  rpc_type_service_configs: {jsonrpc: {backend_url: 'http://x:1'}}\n", "rpc_type_service_configs.jsonrpc: unknown rpc type", false},
		{"bad size", "default_signing_key_names: [k]\ndefault_max_body_size: lots\n" + node + "suppliers:\n" + sup, "default_max_body_size", false},
		{"no backend url", "default_signing_key_names: [k]\n" + node + "suppliers:\n- service_id: s\n  listen_url: http://0.0.0.0:8545\n", "service_config.backend_url: required", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Poktroll("t.yaml", []byte(tc.src), Options{KeyringDir: "/k"})
			if err == nil {
				t.Fatalf("converted:\n%s", res.Relayer)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %q", err, tc.want)
			}
			if got := errors.Is(err, ErrNotConvertible); got == tc.convertible {
				t.Errorf("errors.Is(err, ErrNotConvertible) = %v for %v", got, err)
			}
		})
	}
}

// poktroll parses sizes with docker/go-units RAMInBytes: powers of 1024 whatever the suffix.
func TestRAMInBytes(t *testing.T) {
	for in, want := range map[string]int64{
		"20MB": 20 << 20, "20mb": 20 << 20, "20MiB": 20 << 20, "20m": 20 << 20, "1.5k": 1536,
		"512": 512, "512b": 512, "1 GB": 1 << 30, "2t": 2 << 40,
	} {
		got, err := ramInBytes(in)
		if err != nil || got != want {
			t.Errorf("ramInBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MB", "-1", "1x", "1kbb", "1ib"} {
		if _, err := ramInBytes(in); err == nil {
			t.Errorf("ramInBytes(%q) accepted", in)
		}
	}
}

// Nothing of the HA relay miner's format is documented here: every key is reported, nothing
// is written.
func TestHAReportsEveryKey(t *testing.T) {
	in := readFile(t, "testdata/ha/relayer.yaml")
	res, err := HA("ha-relayer", "relayer.yaml", in)
	if !errors.Is(err, ErrNotConvertible) {
		t.Fatalf("err = %v, want ErrNotConvertible", err)
	}
	if res.Relayer != nil || res.Miner != nil {
		t.Fatal("HA wrote a config from keys it does not know")
	}
	golden(t, "testdata/ha/relayer.skipped.golden.txt", []byte(FormatTable(res.Skipped)))
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		writeFile(t, path, got)
		return
	}
	want := readFile(t, path)
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -run %s -update to rewrite):\n--- got\n%s\n--- want\n%s", path, t.Name(), got, want)
	}
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
