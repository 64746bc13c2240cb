package cmd

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := NewRoot(&out, &errOut)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestValidateExamples(t *testing.T) {
	for _, tc := range []struct{ cmd, file string }{
		{"relayer", "../config.relayer.example.yaml"},
		{"miner", "../config.miner.example.yaml"},
	} {
		out, err := run(t, tc.cmd, "validate", "--config", tc.file)
		if err != nil {
			t.Fatalf("%s validate: %v", tc.cmd, err)
		}
		if !strings.Contains(out, "valid") || !strings.Contains(out, "redis") {
			t.Fatalf("summary missing sections:\n%s", out)
		}
		if n := strings.Count(out, "\n"); n > 50 {
			t.Fatalf("summary is %d lines, more than one screen", n)
		}
	}
}

func TestValidateMisspelledKey(t *testing.T) {
	src, err := os.ReadFile("../config.relayer.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(src), "        timeout: 30s", "        timout: 30s", 1)
	p := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(p, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = run(t, "relayer", "validate", "--config", p)
	var ue usageError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want a usage error (exit 2)", err)
	}
	if !strings.Contains(err.Error(), "services.develop-http.backends.jsonrpc.timout (line 45): unknown key") {
		t.Fatalf("error does not name the key and line: %v", err)
	}
}

func TestValidateCheckKeys(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "keys.yaml")
	// supplier1 of poktroll's public localnet mnemonics, as hex.
	if err := os.WriteFile(keyFile, []byte("keys:\n  - "+strings.Repeat("1", 64)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "miner.yaml")
	if err := os.WriteFile(cfg, []byte("keys: {keys_file: "+keyFile+"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "miner", "validate", "--config", cfg, "--check-keys")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "1 operator address(es)") || !strings.Contains(out, "pokt1") {
		t.Fatalf("keys not listed:\n%s", out)
	}
	if strings.Contains(out, strings.Repeat("1", 64)) {
		t.Fatal("summary prints key material")
	}
}

func TestValidateRequiresConfig(t *testing.T) {
	if _, err := run(t, "relayer", "validate"); err == nil || !isFlagError(err) {
		t.Fatalf("err = %v, want a required-flag usage error", err)
	}
}

func TestRedactedURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://eth.example.com/v2/SECRETKEY": "https://eth.example.com/…",
		"redis://u:pw@h:6379/0":                "redis://h:6379/…",
		"http://127.0.0.1:8080":                "http://127.0.0.1:8080",
		"nonsense":                             "<invalid url>",
	} {
		if got := redactedURL(in); got != want {
			t.Errorf("redactedURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// The relayer summary lists the transport limits (the defaults the example config shows
// commented out, or the configured values) and each backend's max_response_bytes.
func TestValidateRelayerTransports(t *testing.T) {
	src, err := os.ReadFile("../config.relayer.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	custom := string(src) + `
transports:
  websocket: {ping_interval: 20s, pong_wait: 50s, write_timeout: 5s, send_queue: 16}
  streaming: {batch_interval: 50ms, batch_bytes: 32KiB, batch_events: 8, max_bytes: 4MiB}
  grpc: {timeout: 45s}
`
	p := filepath.Join(t.TempDir(), "relayer.yaml")
	if err := os.WriteFile(p, []byte(custom), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"../config.relayer.example.yaml", []string{
			"\ntransports\n",
			"  websocket: ping every 30s, pong wait 1m15s, write timeout 10s, send queue 64\n",
			"  streaming: frame after 100ms, 64KiB or 32 events; at most 16MiB per stream\n",
			"  grpc: timeout 1m0s\n",
			"[round_robin, timeout 30s, max response 64MiB]",
		}},
		{p, []string{
			"  websocket: ping every 20s, pong wait 50s, write timeout 5s, send queue 16\n",
			"  streaming: frame after 50ms, 32KiB or 8 events; at most 4MiB per stream\n",
			"  grpc: timeout 45s\n",
		}},
	} {
		out, err := run(t, "relayer", "validate", "--config", tc.file)
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: summary lacks %q:\n%s", tc.file, w, out)
			}
		}
	}
}
