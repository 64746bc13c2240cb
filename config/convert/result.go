package convert

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// Result is what a conversion produced. Relayer or Miner is nil when the source has no
// counterpart (a miner file yields no relayer config).
type Result struct {
	// Relayer is the relayer config as YAML, ready to write.
	Relayer []byte
	// Miner is the miner config as YAML, ready to write.
	Miner []byte
	// Skipped lists every input key that did not carry over as it was, in file order.
	Skipped []Skipped
}

// Skipped is one input key that was not converted, or converted with a change of meaning.
type Skipped struct {
	// Key is the key's path in the input file, such as suppliers[0].service_config.headers.
	Key string
	// Reason says what happens to it here, in a sentence an operator acts on.
	Reason string
}

// skips collects Skipped entries.
type skips []Skipped

func (s *skips) add(key, format string, args ...any) {
	*s = append(*s, Skipped{Key: key, Reason: fmt.Sprintf(format, args...)})
}

// WriteTable prints the skipped keys as an aligned two-column table, or one line saying that
// everything carried over.
func WriteTable(w io.Writer, skipped []Skipped) error {
	if len(skipped) == 0 {
		_, err := fmt.Fprintln(w, "every key was converted")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "not converted or changed (%d):\n", len(skipped))
	fmt.Fprintln(tw, "KEY\tREASON")
	for _, s := range skipped {
		fmt.Fprintf(tw, "%s\t%s\n", s.Key, s.Reason)
	}
	return tw.Flush()
}

// FormatTable is WriteTable into a string.
func FormatTable(skipped []Skipped) string {
	var b strings.Builder
	_ = WriteTable(&b, skipped)
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
