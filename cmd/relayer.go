package cmd

import (
	"github.com/spf13/cobra"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

func newRelayerCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "relayer",
		Short: "The stateless relay proxy: validate, forward, sign and publish relays",
		Long: "Run the relayer with --config F (until SIGINT/SIGTERM, then drain), or check a config\n" +
			"with `relayer validate --config F`.",
	}
	addRelayerRun(c)
	v := newValidateCmd("relayer", func(path string) (summary, error) {
		cfg, err := config.LoadRelayer(path)
		if err != nil {
			return nil, err
		}
		return relayerSummary(cfg), nil
	}, func(path string) (*config.Keys, error) {
		cfg, err := config.LoadRelayer(path)
		if err != nil {
			return nil, err
		}
		return &cfg.Keys, nil
	})
	addCheckStake(v)
	c.AddCommand(v)
	return c
}
