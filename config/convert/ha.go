package convert

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// HA reads a config of the HA relay miner (kind "ha-relayer" or "ha-miner"). Its key set is
// not documented to this project (docs/INCUMBENT.md lists its features, not its keys), and a
// guessed mapping could drop a backend or a key source unseen, so nothing is converted: the
// result lists every key of the file with that reason, and the error wraps ErrNotConvertible.
func HA(kind, name string, b []byte) (*Result, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("%s: empty file: %w", name, ErrNotConvertible)
	}
	w := walkKeys(&root, nil)
	res := &Result{}
	for _, k := range w.leaves {
		res.Skipped = append(res.Skipped, Skipped{Key: k, Reason: "unknown: the " + kind + " key set is not documented to this tool; set it by hand"})
	}
	return res, fmt.Errorf("%s: nothing converted from the %s config (%d keys); write the config by hand from config.*.example.yaml: %w",
		name, kind, len(w.leaves), ErrNotConvertible)
}
