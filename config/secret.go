package config

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Secret is a string that never prints. Written as "${VAR}" (alone or inside a longer value)
// it is read from the environment when the config is loaded; "${VAR:-fallback}" uses fallback
// when VAR is unset.
type Secret string

const redacted = "<secret>"

// String hides the value, so %v and %s in logs and errors are safe.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString hides the value from %#v as well.
func (s Secret) GoString() string { return s.String() }

// MarshalYAML hides the value when a config is written back out.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// Value returns the secret itself, for the one place that hands it to a client.
func (s Secret) Value() string { return string(s) }

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}`)

// UnmarshalYAML decodes a scalar and expands ${VAR} references. An unset variable is an
// error; an empty one is allowed (it may be intentional).
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a string", n.Line)
	}
	var missing string
	out := envRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
		m := envRef.FindStringSubmatch(ref)
		name, hasFallback := m[1], strings.Contains(ref, ":-")
		v, ok := os.LookupEnv(name)
		switch {
		case ok:
			return v
		case hasFallback:
			return m[2]
		case missing == "":
			missing = name
		}
		return ""
	})
	if missing != "" {
		return fmt.Errorf("line %d: environment variable %s is not set", n.Line, missing)
	}
	*s = Secret(out)
	return nil
}

// String prints the username only. Without it, fmt's %s of a struct holding a *BasicAuth falls
// back to a raw dump that bypasses Secret.String.
func (b BasicAuth) String() string { return "{" + b.Username + " " + b.Password.String() + "}" }

// String prints the keyring source without its passphrase (see BasicAuth.String).
func (k Keyring) String() string {
	return fmt.Sprintf("{backend=%s dir=%s app=%s keys=%v passphrase=%s}", k.Backend, k.Dir, k.AppName, k.KeyNames, k.Passphrase)
}
