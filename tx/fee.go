package tx

import (
	"fmt"
	"math"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// feePolicy turns a gas limit into the fee paid. It is parsed once, in New.
type feePolicy struct {
	fixed  sdk.Coins    // non-nil: paid as is, whatever the gas
	prices sdk.DecCoins // otherwise: gas × price per denom, rounded up
}

// parseFeePolicy reads config's gas_prices and fees. A fixed fee wins over prices.
func parseFeePolicy(gasPrices, fees string) (feePolicy, error) {
	if fees != "" {
		c, err := sdk.ParseCoinsNormalized(fees)
		if err != nil {
			return feePolicy{}, fmt.Errorf("tx.fees: %w", err)
		}
		return feePolicy{fixed: c}, nil
	}
	if gasPrices == "" {
		return feePolicy{}, nil
	}
	p, err := sdk.ParseDecCoins(gasPrices)
	if err != nil {
		return feePolicy{}, fmt.Errorf("tx.gas_prices: %w", err)
	}
	return feePolicy{prices: p}, nil
}

// fee is the fee for a tx with this gas limit: the fixed fee, or for each price
// ceil(gas × price), zero amounts left out.
func (f feePolicy) fee(gas uint64) sdk.Coins {
	if f.fixed != nil {
		return f.fixed
	}
	g := sdkmath.LegacyNewDecFromInt(sdkmath.NewIntFromUint64(gas))
	out := make(sdk.Coins, 0, len(f.prices))
	for _, p := range f.prices {
		amt := p.Amount.Mul(g).Ceil().TruncateInt()
		if amt.IsPositive() {
			out = append(out, sdk.NewCoin(p.Denom, amt))
		}
	}
	return sdk.NewCoins(out...)
}

// adjustGas scales simulated gas by the adjustment, rounding up.
func adjustGas(simulated uint64, adjustment float64) uint64 {
	g := math.Ceil(float64(simulated) * adjustment)
	if g >= math.MaxUint64 {
		return math.MaxUint64
	}
	return uint64(g)
}
