package query

import (
	"context"
	"fmt"

	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
)

// errEmpty marks an answer without the data it must carry.
var errEmpty = fmt.Errorf("%w: empty answer", ErrInvalid)

// Account is what the relay miner needs of an x/auth account.
type Account struct {
	Address       string
	PubKey        cryptotypes.PubKey // nil until the account has signed a transaction
	AccountNumber uint64
	Sequence      uint64
}

// Account returns the account at address, its public key unpacked from the Any.
func (c *Client) Account(ctx context.Context, address string) (Account, error) {
	var out Account
	err := c.grpc(ctx, MethodAccount, func(ctx context.Context) error {
		r, err := c.auth.Account(ctx, &authtypes.QueryAccountRequest{Address: address})
		if err != nil {
			return err
		}
		if r.Account == nil {
			return errEmpty
		}
		var acc sdk.AccountI
		if err := c.registry.UnpackAny(r.Account, &acc); err != nil {
			return fmt.Errorf("%w: unpack %s: %w", ErrInvalid, r.Account.TypeUrl, err)
		}
		out = Account{
			Address:       address, // GetAddress().String() would use the process-wide bech32 prefix
			PubKey:        acc.GetPubKey(),
			AccountNumber: acc.GetAccountNumber(),
			Sequence:      acc.GetSequence(),
		}
		return nil
	})
	return out, err
}

// Balance returns the balance of address in denom.
func (c *Client) Balance(ctx context.Context, address, denom string) (sdk.Coin, error) {
	var out sdk.Coin
	err := c.grpc(ctx, MethodBalance, func(ctx context.Context) error {
		r, err := c.bank.Balance(ctx, &banktypes.QueryBalanceRequest{Address: address, Denom: denom})
		if err != nil {
			return err
		}
		if r.Balance == nil {
			return errEmpty
		}
		out = *r.Balance
		return nil
	})
	return out, err
}
