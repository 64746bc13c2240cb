package transport

import (
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const modulePath = "github.com/shannon-ops/pocket-relay-miner"

// aboveTransport are the top-level packages built on transport. transport is the lowest layer
// (cmd → relayer/miner → cache/leader/tx → query/transport/keys/config), so nothing under it
// may import any of them, directly or through another package.
var aboveTransport = []string{"cmd", "inspect", "relayer", "miner", "cache", "leader", "tx"}

// TestTransportImportsNothingAbove follows the non-test imports of every package under
// transport/ through the module (what `go list -deps ./transport/...` shows) and fails on the
// first package of a higher layer, naming the import chain that reaches it. It reads the
// source with go/build instead of shelling out to `go list`.
func TestTransportImportsNothingAbove(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatalf("module root: %v", err)
	}
	chains := map[string][]string{}
	var queue []string
	for _, dir := range packageDirs(t, ".") {
		path := modulePath + "/transport"
		if dir != "." {
			path += "/" + filepath.ToSlash(dir)
		}
		chains[path] = []string{path}
		queue = append(queue, path)
	}
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		if layer := higherLayer(path); layer != "" {
			t.Errorf("transport reaches %s (layer %s/) via %s", path, layer, strings.Join(chains[path], " → "))
			continue
		}
		for _, imp := range moduleImports(t, root, path) {
			if _, seen := chains[imp]; seen {
				continue
			}
			chains[imp] = append(append([]string(nil), chains[path]...), imp)
			queue = append(queue, imp)
		}
	}
}

// packageDirs lists the directories under dir (relative to it) that hold a Go package,
// skipping testdata as the go tool does.
func packageDirs(t *testing.T, dir string) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if _, err := build.ImportDir(p, 0); err == nil {
			dirs = append(dirs, p)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	if len(dirs) == 0 {
		t.Fatalf("no Go package found under %s", dir)
	}
	return dirs
}

// moduleImports returns the non-test imports of path that belong to this module.
func moduleImports(t *testing.T, root, path string) []string {
	t.Helper()
	dir := filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(path, modulePath)))
	pkg, err := build.ImportDir(dir, 0)
	if err != nil {
		t.Fatalf("read package %s in %s: %v", path, dir, err)
	}
	var ours []string
	for _, imp := range pkg.Imports {
		if imp == modulePath || strings.HasPrefix(imp, modulePath+"/") {
			ours = append(ours, imp)
		}
	}
	return ours
}

// higherLayer returns the top-level folder of path when it is one of aboveTransport.
func higherLayer(path string) string {
	rel, ok := strings.CutPrefix(path, modulePath+"/")
	if !ok {
		return ""
	}
	top, _, _ := strings.Cut(rel, "/")
	for _, layer := range aboveTransport {
		if top == layer {
			return layer
		}
	}
	return ""
}

// The module path above must match go.mod, or the walk would silently find no imports.
func TestModulePathMatchesGoMod(t *testing.T) {
	mod, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatalf("read go.mod: %v", err)
	}
	first, _, _ := strings.Cut(string(mod), "\n")
	if strings.TrimSpace(first) != "module "+modulePath {
		t.Fatalf("go.mod starts %q, want module %s", first, modulePath)
	}
}
