package config

import (
	"go/build"
	"io/fs"
	"path/filepath"
	"slices"
	"testing"
)

// TestNoPackageImportsUnmaintainedYAML walks every package of the module (tests included) and
// fails on any import of gopkg.in/yaml.v3, which is no longer maintained; go.yaml.in/yaml/v3 is
// its continuation with the same API, and strict decoding (TestBadConfigs) relies on it alone.
func TestNoPackageImportsUnmaintainedYAML(t *testing.T) {
	const unmaintained = "gopkg.in/yaml.v3"
	checked := 0
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if name := d.Name(); name == "testdata" || name == "vendor" || (name != ".." && name[0] == '.') {
			return filepath.SkipDir
		}
		pkg, err := build.ImportDir(p, 0)
		if err != nil {
			return nil // no Go files here
		}
		checked++
		for _, imports := range [][]string{pkg.Imports, pkg.TestImports, pkg.XTestImports} {
			if slices.Contains(imports, unmaintained) {
				t.Errorf("%s imports %s; use go.yaml.in/yaml/v3", p, unmaintained)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk module: %v", err)
	}
	if checked == 0 {
		t.Fatal("found no Go package in the module")
	}
}
