package meter

import (
	"errors"
	"fmt"
	"math/big"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	apptypes "github.com/pokt-network/poktroll/x/application/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
)

// MaxUnits is the largest budget or cost the meter stores. The Lua script compares in doubles,
// exact up to 2^53; larger values (over nine billion POKT) are clamped by Units.
const MaxUnits = uint64(1) << 53

// Metered reports whether the meter applies to app: only an application with exactly one
// service config is metered; any other is served without a budget (PROTOCOL.md §4.4), and the
// caller records that with Meter.Skip.
func Metered(app *apptypes.Application) bool {
	return app != nil && len(app.ServiceConfigs) == 1
}

// MaxCoin returns what one supplier may earn from the application in one session:
//
//	floor( floor(appStake / numSuppliersPerSession) / (ceil(Σoffsets / N) + 1) )
//
// with Σoffsets and N (num_blocks_per_session) from sharedAtEnd, the shared params at the
// session END height, and numSuppliersPerSession the live session param (PROTOCOL.md §4.4).
func MaxCoin(appStake sdk.Coin, numSuppliersPerSession uint64, sharedAtEnd *sharedtypes.Params) (sdk.Coin, error) {
	switch {
	case sharedAtEnd == nil:
		return sdk.Coin{}, errors.New("max coin: nil shared params")
	case sharedAtEnd.GetNumBlocksPerSession() == 0:
		return sdk.Coin{}, errors.New("max coin: num_blocks_per_session is 0")
	case numSuppliersPerSession == 0:
		return sdk.Coin{}, errors.New("max coin: num_suppliers_per_session is 0")
	case appStake.Amount.IsNil() || appStake.Amount.IsNegative():
		return sdk.Coin{}, fmt.Errorf("max coin: application stake %s is not a non-negative amount", appStake)
	}
	perSupplier := appStake.Amount.Quo(sdkmath.NewIntFromUint64(numSuppliersPerSession))
	pending := sharedtypes.GetNumPendingSessions(sharedAtEnd) + 1 // the current session
	return sdk.Coin{Denom: appStake.Denom, Amount: perSupplier.Quo(sdkmath.NewInt(pending))}, nil
}

// RelayCost returns the price of one relay in upokt:
//
//	floor( cupr × compute_units_to_tokens_multiplier / compute_unit_cost_granularity )
//
// with cupr and the pricing params at the session START height (PROTOCOL.md §4.4).
func RelayCost(cupr uint64, sharedAtStart *sharedtypes.Params) (sdkmath.Int, error) {
	if sharedAtStart == nil {
		return sdkmath.Int{}, errors.New("relay cost: nil shared params")
	}
	gran := sharedAtStart.GetComputeUnitCostGranularity()
	if gran == 0 {
		return sdkmath.Int{}, errors.New("relay cost: compute_unit_cost_granularity is 0")
	}
	n := new(big.Int).SetUint64(cupr)
	n.Mul(n, new(big.Int).SetUint64(sharedAtStart.GetComputeUnitsToTokensMultiplier()))
	n.Quo(n, new(big.Int).SetUint64(gran))
	return sdkmath.NewIntFromBigInt(n), nil
}

// Units converts an amount to the meter's uint64 units, clamped to [0, MaxUnits].
func Units(a sdkmath.Int) uint64 {
	if a.IsNil() || !a.IsPositive() {
		return 0
	}
	if !a.IsUint64() || a.Uint64() > MaxUnits {
		return MaxUnits
	}
	return a.Uint64()
}
