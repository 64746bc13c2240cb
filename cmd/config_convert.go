package cmd

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/shannon-ops/pocket-relay-miner/config/convert"
)

func newConfigCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "config",
		Short: "Work with config files: convert another relay miner's config",
	}
	c.AddCommand(newConfigConvertCmd())
	return c
}

// convertFlags are the flags of `config convert`.
type convertFlags struct {
	from, relayerOut, minerOut string
	force                      bool
	opt                        convert.Options
}

func newConfigConvertCmd() *cobra.Command {
	var f convertFlags
	c := &cobra.Command{
		Use:   "convert --from poktroll|ha-relayer|ha-miner FILE",
		Short: "Write our relayer and miner configs from a poktroll RelayMiner (or HA relay miner) config",
		Long: "Convert FILE into this project's relayer and miner configs. Every key that does not carry\n" +
			"over as it was is listed on stderr with the reason. Without --relayer-out/--miner-out both\n" +
			"configs go to stdout as two YAML documents. Existing files are kept unless --force.\n" +
			"Exits 0 when converted, 2 on bad usage, 1 when FILE cannot be read, parsed or converted.",
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runConvert(c.OutOrStdout(), c.ErrOrStderr(), args[0], f)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.from, "from", "", "format of FILE: poktroll (pocketd relayminer), ha-relayer or ha-miner (required)")
	fl.StringVar(&f.relayerOut, "relayer-out", "", "write the relayer config here (with --miner-out; default: stdout)")
	fl.StringVar(&f.minerOut, "miner-out", "", "write the miner config here (with --relayer-out; default: stdout)")
	fl.BoolVar(&f.force, "force", false, "overwrite existing output files")
	fl.StringVar(&f.opt.RedisURL, "redis-url", "", "redis.url of both configs (default redis://127.0.0.1:6379)")
	fl.StringVar(&f.opt.KeyringBackend, "keyring-backend", "test", "the --keyring-backend poktroll's relay miner ran with: test, file or os")
	fl.StringVar(&f.opt.KeyringDir, "keyring-dir", "", "the --home poktroll's relay miner ran with (default $HOME/.pocket)")
	fl.StringVar(&f.opt.PassphraseEnv, "keyring-passphrase-env", "POCKET_KEYRING_PASSPHRASE", "environment variable the file keyring's passphrase is read from at run time")
	_ = c.MarkFlagRequired("from")
	return c
}

func runConvert(stdout, stderr io.Writer, in string, f convertFlags) error {
	if f.from != "poktroll" && f.from != "ha-relayer" && f.from != "ha-miner" {
		return usageError{fmt.Errorf("--from: want poktroll, ha-relayer or ha-miner, got %q", f.from)}
	}
	if (f.relayerOut == "") != (f.minerOut == "") && f.from == "poktroll" {
		return usageError{errors.New("give both --relayer-out and --miner-out, or neither to write both to stdout")}
	}
	if !f.force {
		for _, p := range []string{f.relayerOut, f.minerOut} {
			if p == "" {
				continue
			}
			if _, err := os.Stat(p); err == nil {
				return usageError{fmt.Errorf("%s exists; pass --force to overwrite it", p)}
			} else if !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("check output %s: %w", p, err)
			}
		}
	}
	b, err := os.ReadFile(in)
	if err != nil {
		return fmt.Errorf("read %s: %w", in, err)
	}
	if f.opt.KeyringDir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return usageError{fmt.Errorf("--keyring-dir: not given and no home directory: %w", err)}
		}
		f.opt.KeyringDir = filepath.Join(home, ".pocket") // pocketd's default --home
	}
	var res *convert.Result
	if f.from == "poktroll" {
		res, err = convert.Poktroll(filepath.Base(in), b, f.opt)
	} else {
		res, err = convert.HA(f.from, filepath.Base(in), b)
	}
	if res != nil {
		if werr := convert.WriteTable(stderr, res.Skipped); werr != nil {
			return fmt.Errorf("write report: %w", werr)
		}
	}
	if err != nil {
		return err
	}
	return writeConverted(stdout, stderr, res, f)
}

// writeConverted writes both configs to their files, or to stdout as two YAML documents.
func writeConverted(stdout, stderr io.Writer, res *convert.Result, f convertFlags) error {
	if f.relayerOut == "" {
		if _, err := fmt.Fprintf(stdout, "%s---\n%s", res.Relayer, res.Miner); err != nil {
			return fmt.Errorf("write stdout: %w", err)
		}
		return nil
	}
	for _, o := range []struct {
		path string
		b    []byte
	}{{f.relayerOut, res.Relayer}, {f.minerOut, res.Miner}} {
		// 0600: the configs carry backend URLs and credentials copied from the input.
		if err := os.WriteFile(o.path, o.b, 0o600); err != nil {
			return fmt.Errorf("write %s: %w", o.path, err)
		}
	}
	_, err := fmt.Fprintf(stderr, "wrote %s and %s; check them with `relayer validate` and `miner validate`\n", f.relayerOut, f.minerOut)
	return err
}
