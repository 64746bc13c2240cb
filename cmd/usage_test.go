package cmd

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestEveryCommandExitsUsageOnBadUsage walks the whole command tree (help and completion
// included) and checks that an unknown subcommand and an unknown flag both exit 2, the code
// the README documents for bad usage. Nothing runs: cobra rejects both before any RunE.
func TestEveryCommandExitsUsageOnBadUsage(t *testing.T) {
	var paths [][]string
	walkCommands(NewRoot(&bytes.Buffer{}, &bytes.Buffer{}), func(c *cobra.Command) {
		path := strings.Fields(c.CommandPath())[1:] // without the binary's name
		paths = append(paths, path)
	})
	if len(paths) < 20 {
		t.Fatalf("walked only %d commands; the tree was not built", len(paths))
	}
	for _, path := range paths {
		name := "pocket-relay-miner " + strings.Join(path, " ")
		// Two arguments: a leaf that takes exactly one (config convert FILE) must still refuse.
		for _, bad := range [][]string{{"no-such-command", "extra"}, {"--no-such-flag"}} {
			args := append(slices.Clone(path), bad...)
			var stdout, stderr bytes.Buffer
			root := NewRoot(&stdout, &stderr)
			root.SetArgs(args)
			err := root.Execute()
			if code := exitCode(err); code != exitUsage {
				t.Errorf("%s %s: exit %d (err %v), want %d", name, strings.Join(bad, " "), code, err, exitUsage)
			}
		}
	}
}

// TestMissingFlagValueExitsUsage: "--config" at the end of the line is bad usage, not a runtime
// failure (it exited 1).
func TestMissingFlagValueExitsUsage(t *testing.T) {
	for _, args := range [][]string{{"relayer", "--config"}, {"miner", "--config"}, {"relayer", "validate", "--config"}} {
		root := NewRoot(&bytes.Buffer{}, &bytes.Buffer{})
		root.SetArgs(args)
		if code := exitCode(root.Execute()); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

// A group command without a subcommand still prints its help and succeeds.
func TestGroupWithoutSubcommandPrintsHelp(t *testing.T) {
	var stdout bytes.Buffer
	root := NewRoot(&stdout, &bytes.Buffer{})
	root.SetArgs([]string{"redis-debug"})
	if err := root.Execute(); err != nil {
		t.Fatalf("redis-debug: %v", err)
	}
	if !strings.Contains(stdout.String(), "sessions") {
		t.Fatalf("redis-debug printed no help listing its subcommands:\n%s", stdout.String())
	}
}
