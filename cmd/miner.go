package cmd

import (
	"github.com/spf13/cobra"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

func newMinerCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "miner",
		Short: "The leader-elected miner: streams into trees, claims and proofs on chain",
	}
	addMinerRun(c)
	c.AddCommand(newValidateCmd("miner", func(path string) (summary, error) {
		cfg, err := config.LoadMiner(path)
		if err != nil {
			return nil, err
		}
		return minerSummary(cfg), nil
	}, func(path string) (*config.Keys, error) {
		cfg, err := config.LoadMiner(path)
		if err != nil {
			return nil, err
		}
		return &cfg.Keys, nil
	}))
	return c
}
