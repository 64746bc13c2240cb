package keys

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// maxKeyFileSize bounds one key file: 66 characters and some whitespace. A larger file is not a
// key file, and reading it is refused rather than risking a big read of the wrong directory.
const maxKeyFileSize = 1 << 10

// ignoredKeyFile reports whether a directory entry is skipped: dotfiles (which also covers the
// "..data" links of a Kubernetes secret volume) and editor leftovers.
func ignoredKeyFile(name string) bool {
	return strings.HasPrefix(name, ".") ||
		strings.HasSuffix(name, "~") ||
		strings.HasSuffix(name, ".swp") ||
		strings.HasSuffix(name, ".swx") ||
		strings.HasSuffix(name, ".tmp")
}

// loadDir adds the key of every regular, non-ignored file directly in dir to b. Symbolic links
// are followed (Kubernetes mounts secret keys as links); subdirectories are skipped. Errors name
// the directory and the file, never the file's content.
func loadDir(dir string, b *keySetBuilder) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("key directory %s: %w", dir, err)
	}
	var raw [32]byte
	for _, e := range entries { // sorted by name
		name := e.Name()
		if ignoredKeyFile(name) {
			continue
		}
		path := filepath.Join(dir, name)
		info, err := os.Stat(path) // follows links
		if err != nil {
			return fmt.Errorf("key directory %s: file %s: %w", dir, name, err)
		}
		if !info.Mode().IsRegular() {
			continue
		}
		data, err := readBounded(path, maxKeyFileSize)
		if err != nil {
			return fmt.Errorf("key directory %s: file %s: %w", dir, name, err)
		}
		err = parseHexKey(string(data), &raw)
		clear(data)
		if err != nil {
			return fmt.Errorf("key directory %s: file %s: %w", dir, name, err)
		}
		if err := b.add(&raw, path); err != nil {
			return fmt.Errorf("key directory %s: file %s: %w", dir, name, err)
		}
	}
	return nil
}
