package cmd

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set by the Makefile with -ldflags "-X …/cmd.version=… -X …/cmd.commit=… -X …/cmd.buildDate=…".
var (
	version   string
	commit    string
	buildDate string
)

// BuildInfo describes the running binary.
type BuildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	BuildDate string `json:"build_date"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

// Build returns the binary's build info: ldflags first, then what the Go toolchain embedded
// (module version, VCS revision and time), so even a `go install` reports something true.
func Build() BuildInfo {
	b := BuildInfo{
		Version:   version,
		Commit:    commit,
		BuildDate: buildDate,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.Commit == "" {
					b.Commit = s.Value
				}
			case "vcs.time":
				if b.BuildDate == "" {
					b.BuildDate = s.Value
				}
			}
		}
	}
	for _, f := range []*string{&b.Version, &b.Commit, &b.BuildDate} {
		if *f == "" {
			*f = "unknown"
		}
	}
	return b
}

func newVersionCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, build date and Go version",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			b := Build()
			if asJSON {
				enc := json.NewEncoder(c.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(b)
			}
			_, err := fmt.Fprintf(c.OutOrStdout(), "pocket-relay-miner %s\n  commit:     %s\n  built:      %s\n  go:         %s\n  platform:   %s\n",
				b.Version, b.Commit, b.BuildDate, b.GoVersion, b.Platform)
			return err
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return c
}
