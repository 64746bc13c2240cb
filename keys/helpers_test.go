package keys

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	cosmossecp "github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"
)

// longHex matches what could be key material in a message: a run of 16 or more hex digits.
var longHex = regexp.MustCompile(`[0-9a-fA-F]{16,}`)

// bech32Addr matches an operator address, whose characters may by chance form a hex run.
var bech32Addr = regexp.MustCompile(`pokt1[02-9ac-hj-np-z]+`)

// assertNoKeyMaterial fails if text holds anything that looks like key material.
func assertNoKeyMaterial(t *testing.T, text string, keys ...string) {
	t.Helper()
	text = bech32Addr.ReplaceAllString(text, "<address>")
	if m := longHex.FindString(text); m != "" {
		t.Errorf("text holds a long hex run %q: %s", m, text)
	}
	for _, k := range keys {
		k = strings.TrimPrefix(strings.ToLower(k), "0x")
		if len(k) >= 8 && strings.Contains(strings.ToLower(text), k[:8]) {
			t.Errorf("text holds the start of a key: %s", text)
		}
	}
}

// genKey returns a fresh private key and its hex form.
func genKey(t *testing.T) (*cosmossecp.PrivKey, string) {
	t.Helper()
	priv := cosmossecp.GenPrivKey()
	return priv, hex.EncodeToString(priv.Key)
}

// wantAddress is the operator address of priv, computed through cosmos-sdk's own PubKey.
func wantAddress(t *testing.T, priv *cosmossecp.PrivKey) string {
	t.Helper()
	addr, err := operatorAddress(priv.PubKey())
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// writeFileAtomic replaces path the way editors and secret mounts do: write a temporary file,
// then rename it onto path.
func writeFileAtomic(t *testing.T, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func hexYAML(keys ...string) string {
	var b strings.Builder
	b.WriteString("keys:\n")
	for _, k := range keys {
		b.WriteString("  - " + k + "\n")
	}
	return b.String()
}

func newTestManager(t *testing.T, opts Options) (*Manager, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := New(opts, zerolog.New(zerolog.NewTestWriter(t)), reg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m, reg
}

// gauge reads the value of one gauge or counter.
func gauge(t *testing.T, c prometheus.Metric) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}

// seriesNames lists the series of reg as "name{label=value}", sorted, space separated.
func seriesNames(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range families {
		for _, m := range f.GetMetric() {
			s := f.GetName()
			for _, l := range m.GetLabel() {
				s += "{" + l.GetName() + "=" + l.GetValue() + "}"
			}
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}
