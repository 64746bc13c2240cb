package cmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

const poktrollFixture = "../config/convert/testdata/poktroll/relayminer_config_localnet_vscode.yaml"

func runConvertCmd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := NewRoot(&out, &errOut)
	root.SetArgs(append([]string{"config", "convert"}, args...))
	code = exitCode(root.Execute())
	return out.String(), errOut.String(), code
}

// The exit codes the issue asks for: 0 converted, 2 bad usage, 1 a file that cannot be read,
// parsed or converted.
func TestConfigConvertExitCodes(t *testing.T) {
	dir := t.TempDir()
	notYAML := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(notYAML, []byte("suppliers: ["), 0o600); err != nil {
		t.Fatal(err)
	}
	ha := "../config/convert/testdata/ha/relayer.yaml"
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"converted to stdout", []string{"--from", "poktroll", "--keyring-dir", dir, poktrollFixture}, exitOK},
		{"no --from", []string{poktrollFixture}, exitUsage},
		{"unknown --from", []string{"--from", "pocket", poktrollFixture}, exitUsage},
		{"no file", []string{"--from", "poktroll"}, exitUsage},
		{"one output of two", []string{"--from", "poktroll", "--relayer-out", filepath.Join(dir, "r.yaml"), poktrollFixture}, exitUsage},
		{"missing file", []string{"--from", "poktroll", filepath.Join(dir, "none.yaml")}, exitRuntime},
		{"not yaml", []string{"--from", "poktroll", notYAML}, exitRuntime},
		{"ha format unknown", []string{"--from", "ha-relayer", ha}, exitRuntime},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, stderr, code := runConvertCmd(t, tc.args...); code != tc.want {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.want, stderr)
			}
		})
	}
}

// Files are written only when absent or with --force, and what is written loads with the
// relayer's and the miner's own loaders; the report goes to stderr, the configs nowhere else.
func TestConfigConvertWritesFiles(t *testing.T) {
	dir := t.TempDir()
	rp, mp := filepath.Join(dir, "relayer.yaml"), filepath.Join(dir, "miner.yaml")
	args := []string{"--from", "poktroll", "--keyring-dir", dir, "--relayer-out", rp, "--miner-out", mp, poktrollFixture}
	stdout, stderr, code := runConvertCmd(t, args...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != "" {
		t.Errorf("stdout is not empty with output files:\n%s", stdout)
	}
	if !strings.Contains(stderr, "smt_store_path") || !strings.Contains(stderr, "REASON") {
		t.Errorf("stderr lacks the not-converted table:\n%s", stderr)
	}
	if _, err := config.LoadRelayer(rp); err != nil {
		t.Fatal(err)
	}
	if _, err := config.LoadMiner(mp); err != nil {
		t.Fatal(err)
	}

	if err := os.WriteFile(mp, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, code := runConvertCmd(t, args...); code != exitUsage {
		t.Fatalf("overwrite without --force: exit %d, want %d", code, exitUsage)
	}
	if msg := errString(t, args); !strings.Contains(msg, "--force") {
		t.Fatalf("the refusal does not say how to overwrite: %q", msg)
	}
	if b, _ := os.ReadFile(mp); string(b) != "keep me" {
		t.Fatal("an existing file was overwritten without --force")
	}
	if _, stderr, code := runConvertCmd(t, append([]string{"--force"}, args...)...); code != exitOK {
		t.Fatalf("--force: exit %d: %s", code, stderr)
	}
	if _, err := config.LoadMiner(mp); err != nil {
		t.Fatalf("--force did not rewrite the miner config: %v", err)
	}
}

// Without output paths both configs go to stdout as two YAML documents.
func TestConfigConvertStdout(t *testing.T) {
	dir := t.TempDir()
	stdout, stderr, code := runConvertCmd(t, "--from", "poktroll", "--keyring-dir", dir, poktrollFixture)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	docs := strings.Split(stdout, "\n---\n")
	if len(docs) != 2 {
		t.Fatalf("want 2 YAML documents, got %d:\n%s", len(docs), stdout)
	}
	if _, err := config.ParseRelayer("relayer", []byte(docs[0])); err != nil {
		t.Fatal(err)
	}
	if _, err := config.ParseMiner("miner", []byte(docs[1])); err != nil {
		t.Fatal(err)
	}
}

// errString returns the error text of a run, which Execute prints after "Error:".
func errString(t *testing.T, args []string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	root := NewRoot(&out, &errOut)
	root.SetArgs(append([]string{"config", "convert"}, args...))
	if err := root.Execute(); err != nil {
		return err.Error()
	}
	return ""
}
