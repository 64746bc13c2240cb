package localnet

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// tomlEdit sets key = value inside [section] ("" is the top level, before any section).
type tomlEdit struct {
	section, key, value string
}

// editTOML rewrites the given keys of a TOML file in place, keeping comments and layout. Each
// key must already exist in its section, so a renamed key is an error rather than a no-op.
func editTOML(path string, edits []tomlEdit) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	lines := strings.Split(string(b), "\n")
	done := make([]bool, len(edits))
	section := ""
	for i, line := range lines {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
			section = strings.Trim(t, "[]")
			continue
		}
		key, _, ok := strings.Cut(t, "=")
		if !ok || strings.HasPrefix(t, "#") {
			continue
		}
		key = strings.TrimSpace(key)
		for j, e := range edits {
			if e.section == section && e.key == key {
				lines[i] = e.key + " = " + e.value
				done[j] = true
			}
		}
	}
	for j, e := range edits {
		if !done[j] {
			return fmt.Errorf("%s: no key %q in section [%s]", path, e.key, e.section)
		}
	}
	return os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644)
}

func quote(s string) string { return strconv.Quote(s) }

// writeNodeConfig binds everything to loopback on the chosen ports, sets the block time, raises
// the body limits proofs need, and sets the minimum gas price (Chain).
func (l *Localnet) writeNodeConfig() error {
	cfg := filepath.Join(l.Home, "config")
	loop := func(scheme string, port int) string { return quote(scheme + "127.0.0.1:" + strconv.Itoa(port)) }
	p := l.Ports
	if err := editTOML(filepath.Join(cfg, "config.toml"), []tomlEdit{
		{"", "proxy_app", loop("tcp://", p.ABCI)},
		{"rpc", "laddr", loop("tcp://", p.RPC)},
		{"rpc", "pprof_laddr", quote("")},
		{"rpc", "max_body_bytes", "100000000"},
		{"p2p", "laddr", loop("tcp://", p.P2P)},
		{"p2p", "addr_book_strict", "false"},
		{"p2p", "allow_duplicate_ip", "true"},
		{"mempool", "max_tx_bytes", "100000000"},
		{"consensus", "timeout_propose", quote(l.Chain.BlockTime.String())},
		{"consensus", "timeout_commit", quote(l.Chain.BlockTime.String())},
		{"instrumentation", "prometheus", "false"},
		{"instrumentation", "prometheus_listen_addr", quote("127.0.0.1:0")},
	}); err != nil {
		return err
	}
	if err := editTOML(filepath.Join(cfg, "app.toml"), []tomlEdit{
		{"", "minimum-gas-prices", quote(l.Chain.GasPrice)},
		{"", "pruning", quote("nothing")},
		{"api", "enable", "true"},
		{"api", "swagger", "false"},
		{"api", "address", loop("tcp://", p.API)},
		{"grpc", "enable", "true"},
		{"grpc", "address", loop("", p.GRPC)},
	}); err != nil {
		return err
	}
	return editTOML(filepath.Join(cfg, "client.toml"), []tomlEdit{
		{"", "chain-id", quote(l.ChainID)},
		{"", "keyring-backend", quote("test")},
		{"", "node", quote(l.NodeRPC)},
	})
}
