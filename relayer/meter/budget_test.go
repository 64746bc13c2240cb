package meter

import (
	"math/big"
	"testing"
	"testing/quick"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	apptypes "github.com/pokt-network/poktroll/x/application/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
)

// naiveMaxCoin is PROTOCOL.md §4.4 written out with big.Int, independent of poktroll's helpers.
func naiveMaxCoin(stake *big.Int, suppliers uint64, p *sharedtypes.Params) *big.Int {
	sum := new(big.Int).SetUint64(p.ClaimWindowOpenOffsetBlocks)
	for _, x := range []uint64{p.ClaimWindowCloseOffsetBlocks, p.ProofWindowOpenOffsetBlocks, p.ProofWindowCloseOffsetBlocks} {
		sum.Add(sum, new(big.Int).SetUint64(x))
	}
	n := new(big.Int).SetUint64(p.NumBlocksPerSession)
	pending, rem := new(big.Int).QuoRem(sum, n, new(big.Int))
	if rem.Sign() != 0 {
		pending.Add(pending, big.NewInt(1)) // ceil
	}
	pending.Add(pending, big.NewInt(1))
	perSupplier := new(big.Int).Quo(stake, new(big.Int).SetUint64(suppliers))
	return perSupplier.Quo(perSupplier, pending)
}

func naiveRelayCost(cupr uint64, p *sharedtypes.Params) *big.Int {
	c := new(big.Int).Mul(new(big.Int).SetUint64(cupr), new(big.Int).SetUint64(p.ComputeUnitsToTokensMultiplier))
	return c.Quo(c, new(big.Int).SetUint64(p.ComputeUnitCostGranularity))
}

func TestMaxCoinMatchesReference(t *testing.T) {
	f := func(stake uint64, suppliers uint8, n uint8, co, cc, po, pc uint8) bool {
		p := &sharedtypes.Params{
			NumBlocksPerSession:         uint64(n%50) + 1,
			ClaimWindowOpenOffsetBlocks: uint64(co), ClaimWindowCloseOffsetBlocks: uint64(cc),
			ProofWindowOpenOffsetBlocks: uint64(po), ProofWindowCloseOffsetBlocks: uint64(pc),
		}
		s := uint64(suppliers%20) + 1
		got, err := MaxCoin(sdk.NewCoin("upokt", sdkmath.NewIntFromUint64(stake)), s, p)
		if err != nil {
			t.Log(err)
			return false
		}
		return got.Amount.BigInt().Cmp(naiveMaxCoin(new(big.Int).SetUint64(stake), s, p)) == 0 && got.Denom == "upokt"
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 5000}); err != nil {
		t.Fatal(err)
	}
}

func TestRelayCostMatchesReference(t *testing.T) {
	f := func(cupr, cuttm uint64, granExp uint8) bool {
		gran := uint64(1)
		for range granExp % 13 {
			gran *= 10
		}
		p := &sharedtypes.Params{ComputeUnitsToTokensMultiplier: cuttm, ComputeUnitCostGranularity: gran}
		got, err := RelayCost(cupr, p)
		return err == nil && got.BigInt().Cmp(naiveRelayCost(cupr, p)) == 0
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 5000}); err != nil {
		t.Fatal(err)
	}
}

func TestBudgetExamples(t *testing.T) {
	def := sharedtypes.DefaultParams() // N=10, offsets 1,4,0,4: Σ=9 → pending = 1+1 = 2
	cost, err := RelayCost(100, &def)
	if err != nil || cost.Int64() != 4200 {
		t.Fatalf("RelayCost(100) at defaults = %v, %v; want 4200", cost, err)
	}
	got, err := MaxCoin(sdk.NewInt64Coin("upokt", 1_000_000_000), 50, &def)
	if err != nil || got.Amount.Int64() != 10_000_000 {
		t.Fatalf("MaxCoin = %v, %v; want 1e9/50/2 = 1e7", got, err)
	}
	// Mainnet bulk params: N=20, Σ=11+10+1+10=32 → ceil(32/20)+1 = 3; CUTTM 145990 / 1e6.
	main := sharedtypes.Params{NumBlocksPerSession: 20, ClaimWindowOpenOffsetBlocks: 11, ClaimWindowCloseOffsetBlocks: 10,
		ProofWindowOpenOffsetBlocks: 1, ProofWindowCloseOffsetBlocks: 10, ComputeUnitsToTokensMultiplier: 145_990, ComputeUnitCostGranularity: 1_000_000}
	if got, _ := MaxCoin(sdk.NewInt64Coin("upokt", 3_000_001), 1, &main); got.Amount.Int64() != 1_000_000 {
		t.Fatalf("mainnet MaxCoin = %v", got)
	}
	if c, _ := RelayCost(7, &main); c.Int64() != 1 { // 7*145990/1e6 = 1.02
		t.Fatalf("mainnet RelayCost(7) = %v", c)
	}
}

func TestBudgetErrors(t *testing.T) {
	def := sharedtypes.DefaultParams()
	stake := sdk.NewInt64Coin("upokt", 10)
	if _, err := MaxCoin(stake, 0, &def); err == nil {
		t.Error("zero suppliers")
	}
	if _, err := MaxCoin(stake, 1, nil); err == nil {
		t.Error("nil params")
	}
	if _, err := MaxCoin(stake, 1, &sharedtypes.Params{}); err == nil {
		t.Error("zero N")
	}
	if _, err := RelayCost(1, &sharedtypes.Params{ComputeUnitsToTokensMultiplier: 1}); err == nil {
		t.Error("zero granularity")
	}
}

func TestUnits(t *testing.T) {
	cases := []struct {
		in   sdkmath.Int
		want uint64
	}{
		{sdkmath.NewInt(-5), 0},
		{sdkmath.ZeroInt(), 0},
		{sdkmath.NewInt(42), 42},
		{sdkmath.NewIntFromUint64(MaxUnits + 1), MaxUnits},
		{sdkmath.NewIntFromBigInt(new(big.Int).Lsh(big.NewInt(1), 100)), MaxUnits},
		{sdkmath.Int{}, 0},
	}
	for _, c := range cases {
		if got := Units(c.in); got != c.want {
			t.Errorf("Units(%v) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestMetered(t *testing.T) {
	one := &apptypes.Application{ServiceConfigs: make([]*sharedtypes.ApplicationServiceConfig, 1)}
	two := &apptypes.Application{ServiceConfigs: make([]*sharedtypes.ApplicationServiceConfig, 2)}
	if !Metered(one) || Metered(two) || Metered(&apptypes.Application{}) || Metered(nil) {
		t.Fatal("only an application with exactly one service config is metered")
	}
}
