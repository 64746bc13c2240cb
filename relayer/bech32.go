package relayer

import (
	"fmt"
	"sync"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// accountPrefix is the chain's bech32 account prefix (PROTOCOL §0).
const accountPrefix = "pokt"

var prefixOnce sync.Once
var prefixErr error

// setAccountPrefix makes the cosmos-sdk global config use the "pokt" prefixes, which
// poktroll's SessionHeader.ValidateBasic relies on to parse application addresses. It fails if
// the config was sealed with another prefix.
func setAccountPrefix() error {
	prefixOnce.Do(func() {
		c := sdk.GetConfig()
		if c.GetBech32AccountAddrPrefix() == accountPrefix {
			return
		}
		defer func() {
			if r := recover(); r != nil { // a sealed config panics
				prefixErr = fmt.Errorf("cosmos-sdk config sealed with account prefix %q, want %q", c.GetBech32AccountAddrPrefix(), accountPrefix)
			}
		}()
		c.SetBech32PrefixForAccount(accountPrefix, accountPrefix+"pub")
		c.SetBech32PrefixForValidator(accountPrefix+"valoper", accountPrefix+"valoperpub")
		c.SetBech32PrefixForConsensusNode(accountPrefix+"valcons", accountPrefix+"valconspub")
	})
	return prefixErr
}
