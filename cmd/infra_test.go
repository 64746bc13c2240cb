package cmd

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

func TestBlockTimeFlagOverridesOnlyWhenSet(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		file    string // pocket_node section of the config file
		want    time.Duration
		wantErr string
	}{
		{name: "unset keeps the default", want: config.DefaultNodeBlockTime},
		{name: "unset keeps the file's value", file: "pocket_node: {block_time: 5s}\n", want: 5 * time.Second},
		{name: "set wins over the file", args: []string{"--block-time", "1s"}, file: "pocket_node: {block_time: 5s}\n", want: time.Second},
		{name: "set to the default's value still wins", args: []string{"--block-time=30s"}, file: "pocket_node: {block_time: 5s}\n", want: 30 * time.Second},
		{name: "set to zero", args: []string{"--block-time", "0s"}, wantErr: "--block-time: must be a positive duration"},
		{name: "set negative", args: []string{"--block-time=-2s"}, wantErr: "--block-time: must be a positive duration"},
		{name: "set absurd", args: []string{"--block-time", "1h"}, wantErr: "--block-time: must be at most 10m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &cobra.Command{Use: "x"}
			apply := addBlockTimeFlag(c)
			if err := c.ParseFlags(tt.args); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.ParseMiner("m.yaml", []byte("keys: {keys_dir: /k}\n"+tt.file))
			if err != nil {
				t.Fatal(err)
			}
			err = apply(&cfg.Common)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.PocketNode.BlockTime != tt.want {
				t.Fatalf("block time = %s, want %s", cfg.PocketNode.BlockTime, tt.want)
			}
		})
	}
}

// A bad --block-time is a usage error (exit 2) of both commands, reported before anything starts.
func TestBlockTimeFlagRejectedByCommands(t *testing.T) {
	for _, tc := range []struct{ cmd, file string }{
		{"relayer", "../config.relayer.example.yaml"},
		{"miner", "../config.miner.example.yaml"},
	} {
		_, err := run(t, tc.cmd, "--config", tc.file, "--block-time", "0s")
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--block-time: must be a positive duration") {
			t.Fatalf("%s: err = %v, want a --block-time usage error", tc.cmd, err)
		}
	}
}
