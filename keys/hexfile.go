package keys

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxHexFileSize bounds the YAML key file; a list of a thousand keys is about 70 KiB.
const maxHexFileSize = 4 << 20

// hexFile is the YAML key file. Keys is a raw node so that no decoding error of yaml.v3, which
// quotes the offending value, can ever carry a key: the list is walked by hand below.
type hexFile struct {
	Keys yaml.Node `yaml:"keys"`
}

// loadHexFile adds the keys of a YAML hex key file to b. Errors name the file and, for a bad
// entry, its 1-based index and line; they never quote the file's content.
func loadHexFile(path string, b *keySetBuilder) error {
	data, err := readBounded(path, maxHexFileSize)
	if err != nil {
		return fmt.Errorf("hex key file %s: %w", path, err)
	}
	defer clear(data)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f hexFile
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file holds no keys
		}
		return fmt.Errorf("hex key file %s: %w", path, redactYAMLError(err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return fmt.Errorf("hex key file %s: want one YAML document", path)
	}
	n := &f.Keys
	switch {
	case n.Kind == 0, n.Kind == yaml.ScalarNode && n.Tag == "!!null":
		return nil // "keys:" absent or empty
	case n.Kind != yaml.SequenceNode:
		return fmt.Errorf("hex key file %s: line %d: keys must be a list of hex strings", path, n.Line)
	}
	var raw [32]byte
	for i, item := range n.Content {
		if item.Kind != yaml.ScalarNode {
			return fmt.Errorf("hex key file %s: keys entry %d (line %d): want a hex string", path, i+1, item.Line)
		}
		if err := parseHexKey(item.Value, &raw); err != nil {
			return fmt.Errorf("hex key file %s: keys entry %d (line %d): %w", path, i+1, item.Line, err)
		}
		if err := b.add(&raw, fmt.Sprintf("%s entry %d", path, i+1)); err != nil {
			return fmt.Errorf("hex key file %s: keys entry %d (line %d): %w", path, i+1, item.Line, err)
		}
	}
	return nil
}

// yamlLine finds the "line N" that yaml.v3 puts in its messages.
var yamlLine = regexp.MustCompile(`line \d+`)

// redactYAMLError rewrites a yaml.v3 error without the values and keys it quotes (a key pasted in
// the wrong place would otherwise be echoed): it keeps the line numbers and a reason.
func redactYAMLError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		// Syntax errors of the scanner and parser name a line and a fixed problem text, but
		// are redacted the same way to be sure.
		return errors.New(redactYAMLMessage(err.Error(), "invalid YAML"))
	}
	msgs := make([]error, 0, len(te.Errors))
	for _, m := range te.Errors {
		reason := "want a mapping with a \"keys\" list"
		switch {
		case strings.Contains(m, "not found in type"):
			reason = "unknown field (only \"keys\" is allowed)"
		case strings.Contains(m, "already defined"):
			reason = "duplicate field"
		}
		msgs = append(msgs, errors.New(redactYAMLMessage(m, reason)))
	}
	return errors.Join(msgs...)
}

func redactYAMLMessage(msg, reason string) string {
	if line := yamlLine.FindString(msg); line != "" {
		return line + ": " + reason
	}
	return reason
}

// readBounded reads a whole file of at most limit bytes.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		clear(data)
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return data, nil
}
