package cmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes, documented in doc.go.
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
)

// usageError marks an error caused by the operator's input (flags or config).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// NewRoot builds the command tree. Only commands that work are registered.
func NewRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "pocket-relay-miner",
		Short:         "Highly available relay miner for Pocket Network (Shannon) suppliers",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newVersionCmd(), newRelayerCmd(), newMinerCmd(), newRelayCmd(), newRedisDebugCmd(), newConfigCmd())
	enforceUsage(root)
	return root
}

// Execute runs the binary and returns its exit code.
func Execute() int {
	root := NewRoot(os.Stdout, os.Stderr)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(os.Stderr, "Error:", err)
	return exitCode(err)
}

// exitCode maps a command's error to the documented exit code.
func exitCode(err error) int {
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue) || isFlagError(err):
		return exitUsage
	}
	return exitRuntime
}

func isFlagError(err error) bool {
	// cobra reports unknown commands and flags as plain errors before any RunE runs.
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "required flag", "accepts ", "invalid argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
