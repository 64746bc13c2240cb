package query

import (
	"fmt"
	"sync"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// AccountPrefix is the chain's bech32 account prefix (PROTOCOL §0).
const AccountPrefix = "pokt"

var prefixOnce sync.Once
var prefixErr error

// SetAccountPrefix makes the cosmos-sdk global config use the "pokt" prefixes, which
// poktroll's SessionHeader.ValidateBasic (and every other sdk.AccAddressFromBech32) relies on
// to parse addresses: the relayer validates relay requests with it and the miner the relays it
// proves. It fails if the config was sealed with another prefix. Safe to call many times.
func SetAccountPrefix() error {
	prefixOnce.Do(func() {
		c := sdk.GetConfig()
		if c.GetBech32AccountAddrPrefix() == AccountPrefix {
			return
		}
		defer func() {
			if r := recover(); r != nil { // a sealed config panics
				prefixErr = fmt.Errorf("cosmos-sdk config sealed with account prefix %q, want %q", c.GetBech32AccountAddrPrefix(), AccountPrefix)
			}
		}()
		c.SetBech32PrefixForAccount(AccountPrefix, AccountPrefix+"pub")
		c.SetBech32PrefixForValidator(AccountPrefix+"valoper", AccountPrefix+"valoperpub")
		c.SetBech32PrefixForConsensusNode(AccountPrefix+"valcons", AccountPrefix+"valconspub")
	})
	return prefixErr
}
