package localnet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Genesis amounts, in upokt.
const (
	genesisBalance      = "1000000000000upokt" // 1,000,000 POKT per account
	genesisBalanceUpokt = 1_000_000_000_000
	validatorBond       = "900000000000upokt"
)

// initChain creates the validator home, the keys, the funded genesis and the node config.
func (l *Localnet) initChain(ctx context.Context) error {
	if _, err := l.Pocketd(ctx, "init", "validator1", "--chain-id", l.ChainID, "--default-denom", "upokt"); err != nil {
		return err
	}
	for i, a := range l.Accounts.all() {
		out, err := l.pocketdIn(ctx, strings.NewReader(a.Mnemonic+"\n"),
			append([]string{"keys", "add", a.Name, "--recover", "--output", "json"}, keyringFlags...)...)
		if err != nil {
			return err
		}
		var key struct {
			Address string `json:"address"`
		}
		if err := json.Unmarshal(lastJSONLine(out), &key); err != nil || key.Address == "" {
			return fmt.Errorf("keys add %s: no address in %q", a.Name, out)
		}
		if a.Address != "" && a.Address != key.Address {
			return fmt.Errorf("keys add %s: got address %s, want %s", a.Name, key.Address, a.Address)
		}
		a.Address = key.Address
		l.Accounts.set(i, a)
		amount := l.Chain.genesisAmount(a, l.Accounts.PoorOperator)
		if _, err := l.Pocketd(ctx, append([]string{"genesis", "add-genesis-account", a.Name, amount}, keyringFlags...)...); err != nil {
			return err
		}
	}
	if _, err := l.Pocketd(ctx, append([]string{"genesis", "gentx", l.Accounts.Validator.Name, validatorBond, "--chain-id", l.ChainID}, keyringFlags...)...); err != nil {
		return err
	}
	if _, err := l.Pocketd(ctx, "genesis", "collect-gentxs"); err != nil {
		return err
	}
	if err := l.editGenesis(); err != nil {
		return err
	}
	if _, err := l.Pocketd(ctx, "genesis", "validate"); err != nil {
		return err
	}
	return l.writeNodeConfig()
}

// lastJSONLine returns the last line of out that looks like a JSON object (some pocketd
// commands print notices before their JSON).
func lastJSONLine(out []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	for i := len(lines) - 1; i >= 0; i-- {
		if line := bytes.TrimSpace(lines[i]); len(line) > 0 && line[0] == '{' {
			return line
		}
	}
	return bytes.TrimSpace(out)
}

// zeroDec is a cosmos LegacyDec zero.
const zeroDec = "0.000000000000000000"

// editGenesis applies the test parameters (applyGenesis) to the chain home's genesis.json.
func (l *Localnet) editGenesis() error {
	path := filepath.Join(l.Home, "config", "genesis.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var g map[string]any
	if err := dec.Decode(&g); err != nil {
		return fmt.Errorf("parse genesis: %w", err)
	}
	if err := l.applyGenesis(g); err != nil {
		return fmt.Errorf("edit genesis: %w", err)
	}
	out, err := json.MarshalIndent(g, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}

// applyGenesis sets short sessions, a proof for every claim, no inflation (balances change
// only through relay rewards), Chain's fee and difficulty knobs, and the authz grants that let
// the validator key update params (authority.go).
func (l *Localnet) applyGenesis(g map[string]any) error {
	for _, e := range l.genesisEdits() {
		if err := setPath(g, e.path, e.value); err != nil {
			return err
		}
	}
	return addAuthorityGrants(g, l.Accounts.Validator.Address)
}

// genesisEdit is one dotted path of genesis.json and its new value.
type genesisEdit struct {
	path  string
	value any
}

// genesisEdits are the test parameters for Session and Chain.
func (l *Localnet) genesisEdits() []genesisEdit {
	u := func(v uint64) string { return strconv.FormatUint(v, 10) } // uint64 params are JSON strings
	shared := l.Session.sharedParams()
	var edits []genesisEdit
	for _, k := range slices.Sorted(maps.Keys(shared)) {
		edits = append(edits, genesisEdit{"app_state.shared.params." + k, shared[k]})
	}
	edits = append(edits, []genesisEdit{
		{"app_state.proof.params.proof_request_probability", json.Number("1")},
		{"app_state.proof.params.proof_requirement_threshold.amount", "0"},
		{"app_state.proof.params.proof_submission_fee.amount", u(l.Chain.ProofSubmissionFee)},
		{"app_state.mint.minter.inflation", zeroDec},
		{"app_state.mint.params.inflation_rate_change", zeroDec},
		{"app_state.mint.params.inflation_max", zeroDec},
		{"app_state.mint.params.inflation_min", zeroDec},
		{"app_state.tokenomics.params.global_inflation_per_claim", json.Number("0")},
	}...)
	if l.Chain.NumSuppliersPerSession > 0 {
		edits = append(edits, genesisEdit{"app_state.session.params.num_suppliers_per_session", u(l.Chain.NumSuppliersPerSession)})
	}
	if l.Chain.TargetNumRelays > 0 {
		edits = append(edits, genesisEdit{"app_state.service.params.target_num_relays", u(l.Chain.TargetNumRelays)})
	}
	return edits
}

// setPath sets a dotted path in a decoded JSON document; every parent must exist, so a renamed
// parameter fails loudly instead of being added silently.
func setPath(doc map[string]any, path string, value any) error {
	parts := strings.Split(path, ".")
	m := doc
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			return fmt.Errorf("%s: no object %q", path, p)
		}
		m = next
	}
	last := parts[len(parts)-1]
	if _, ok := m[last]; !ok {
		return fmt.Errorf("%s: no field %q", path, last)
	}
	m[last] = value
	return nil
}
