// Command pocket-relay-miner serves and mines relays for Pocket Network (Shannon) suppliers.
package main

import (
	"os"

	"github.com/shannon-ops/pocket-relay-miner/cmd"
)

func main() { os.Exit(cmd.Execute()) }
