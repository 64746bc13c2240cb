package localnet

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEditTOML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.toml")
	in := "# top\nproxy_app = \"tcp://127.0.0.1:26658\"\n\n[rpc]\n# laddr = \"commented\"\nladdr = \"tcp://127.0.0.1:26657\"\n[p2p]\nladdr = \"tcp://0.0.0.0:26656\"\n"
	if err := os.WriteFile(path, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	err := editTOML(path, []tomlEdit{{"rpc", "laddr", `"tcp://127.0.0.1:1"`}, {"p2p", "laddr", `"tcp://127.0.0.1:2"`}, {"", "proxy_app", `"x"`}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	want := "# top\nproxy_app = \"x\"\n\n[rpc]\n# laddr = \"commented\"\nladdr = \"tcp://127.0.0.1:1\"\n[p2p]\nladdr = \"tcp://127.0.0.1:2\"\n"
	if string(b) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", b, want)
	}
	if err := editTOML(path, []tomlEdit{{"rpc", "no_such_key", "1"}}); err == nil {
		t.Fatal("a missing key was accepted")
	}
}

func TestSetPath(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal([]byte(`{"a":{"b":{"c":"1"}}}`), &doc); err != nil {
		t.Fatal(err)
	}
	if err := setPath(doc, "a.b.c", "2"); err != nil {
		t.Fatal(err)
	}
	if doc["a"].(map[string]any)["b"].(map[string]any)["c"] != "2" {
		t.Fatalf("not set: %v", doc)
	}
	for _, p := range []string{"a.x.c", "a.b.x"} {
		if err := setPath(doc, p, "3"); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("setPath(%s) = %v, want an error naming the path", p, err)
		}
	}
}

func TestEventDecode(t *testing.T) {
	var a abciEvent
	raw := `{"type":"pocket.tokenomics.EventClaimSettled","attributes":[
		{"key":"num_relays","value":"\"25\""},
		{"key":"supplier_operator_address","value":"\"pokt1x\""},
		{"key":"claim_proof_status_int","value":"1"},
		{"key":"mode","value":"EndBlock"}]}`
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		t.Fatal(err)
	}
	e := a.decode(7, -1)
	if e.Int("num_relays") != 25 || e.Attrs["supplier_operator_address"] != "pokt1x" || e.Int("claim_proof_status_int") != 1 || e.Attrs["mode"] != "EndBlock" {
		t.Fatalf("decoded %+v", e)
	}
	s := Settlement{Settled: &e, ProofChecked: &e}
	if s.NumRelays() != 25 || !s.ProofValidated() {
		t.Fatalf("settlement helpers: %d %v", s.NumRelays(), s.ProofValidated())
	}
}

func TestLastJSONLine(t *testing.T) {
	out := []byte("gas estimate: 1234\n{\"txhash\":\"AB\"}\n")
	if got := string(lastJSONLine(out)); got != `{"txhash":"AB"}` {
		t.Fatalf("got %q", got)
	}
}
