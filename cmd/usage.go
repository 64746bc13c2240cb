package cmd

import (
	"fmt"

	"github.com/spf13/cobra"
)

// enforceUsage makes every kind of bad usage in the tree under root exit with exitUsage.
// Left alone, cobra treats a command that only groups others as not runnable and prints its
// help with a nil error for any argument ("relay foo" exited 0), and hands flag parse errors
// such as a missing value ("--config" at the end) back as plain errors (exit 1).
func enforceUsage(root *cobra.Command) {
	// Children without their own function inherit the root's.
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	// cobra adds help and completion when it executes; adding them now puts them in the walk.
	root.SetHelpCommand(newHelpCmd())
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	walkCommands(root, func(c *cobra.Command) {
		if c.Runnable() || !c.HasSubCommands() {
			return
		}
		c.Args = noSubcommand
		c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	})
}

// noSubcommand accepts no positional argument: under a group command, any argument is a
// subcommand that does not exist.
func noSubcommand(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return usageError{fmt.Errorf("unknown command %q for %q; see %s --help", args[0], c.CommandPath(), c.CommandPath())}
}

// walkCommands calls fn on c and every command below it.
func walkCommands(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walkCommands(sub, fn)
	}
}

// newHelpCmd replaces cobra's help command, which prints "Unknown help topic" and exits 0.
func newHelpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		RunE: func(c *cobra.Command, args []string) error {
			topic, rest, err := c.Root().Find(args)
			if err != nil || len(rest) > 0 {
				return usageError{fmt.Errorf("unknown help topic %q; see %s --help", args, c.Root().CommandPath())}
			}
			return topic.Help()
		},
	}
}
