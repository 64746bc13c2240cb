package miner

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"math/big"
	"math/rand"
	"testing"
	"testing/quick"

	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	prooftypes "github.com/pokt-network/poktroll/x/proof/types"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
)

// naiveRequirement is PROTOCOL.md §6.6 written out with integers, independently of poktroll's
// Claim methods:
//
//	claimed = floor(sum × (2^256−1) × CUTTM / (target × granularity))
//	required if claimed ≥ threshold, else if SeededFloat64(sha256(claim) || seed) ≤ probability
func naiveRequirement(claimBz []byte, sum uint64, target []byte, cuttm, gran uint64, threshold int64, prob float64, seed []byte) Requirement {
	maxHash := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	num := new(big.Int).Mul(new(big.Int).SetUint64(sum), maxHash)
	num.Mul(num, new(big.Int).SetUint64(cuttm))
	den := new(big.Int).Mul(new(big.Int).SetBytes(target), new(big.Int).SetUint64(gran))
	claimed := new(big.Int).Quo(num, den)
	if claimed.Cmp(big.NewInt(threshold)) >= 0 {
		return RequirementThreshold
	}
	ch := sha256.Sum256(claimBz)
	h := sha256.Sum256(append(ch[:], seed...))
	s, _ := binary.Varint(h[:])
	if rand.New(rand.NewSource(s)).Float64() <= prob {
		return RequirementProbabilistic
	}
	return RequirementNotRequired
}

type reqCase struct {
	Count, CUPR  uint16
	TargetShift  uint8 // target = (2^256−1) >> (TargetShift % 24)
	TargetLow    uint32
	CUTTM        uint32
	GranExp      uint8
	Threshold    uint32
	Probability  float64
	Seed         [32]byte
	SessionBytes [8]byte
}

func (c reqCase) input() (RequirementInput, []byte, uint64, []byte) {
	count := uint64(c.Count)%500 + 1
	cupr := uint64(c.CUPR)%100 + 1
	sum := count * cupr
	target := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	target.Rsh(target, uint(c.TargetShift%24))
	target.Sub(target, big.NewInt(int64(c.TargetLow)))
	tb := make([]byte, 32)
	target.FillBytes(tb)
	pricing := sharedtypes.DefaultParams()
	pricing.ComputeUnitsToTokensMultiplier = uint64(c.CUTTM)%100_000_000 + 1
	pricing.ComputeUnitCostGranularity = pow10(uint64(c.GranExp % 7))
	h := testHeader(string(append([]byte("s"), c.SessionBytes[:]...)), 1, 10)
	claim := StoredClaim(testAddr(9), h, testRoot(sum, count))
	proof := prooftypes.DefaultParams()
	th := sdk.NewCoin("upokt", math.NewInt(int64(c.Threshold%2_000_000)))
	proof.ProofRequirementThreshold = &th
	p := c.Probability
	if p < 0 {
		p = -p
	}
	for p > 1 {
		p /= 10
	}
	proof.ProofRequestProbability = p
	in := RequirementInput{Claim: claim, Pricing: pricing, Proof: proof, SeedBlockHash: c.Seed[:],
		Difficulty: servicetypes.RelayMiningDifficulty{ServiceId: h.ServiceId, TargetHash: tb}}
	bz, _ := claim.Marshal()
	return in, bz, sum, tb
}

func pow10(e uint64) uint64 {
	n := uint64(1)
	for range e {
		n *= 10
	}
	return n
}

func TestProofRequirementMatchesNaiveReference(t *testing.T) {
	seen := map[Requirement]int{}
	f := func(c reqCase) bool {
		in, claimBz, sum, target := c.input()
		got, err := ProofRequirement(in)
		if err != nil {
			t.Log(err)
			return false
		}
		want := naiveRequirement(claimBz, sum, target, in.Pricing.ComputeUnitsToTokensMultiplier,
			in.Pricing.ComputeUnitCostGranularity, in.Proof.ProofRequirementThreshold.Amount.Int64(),
			in.Proof.ProofRequestProbability, in.SeedBlockHash)
		seen[got]++
		return got == want
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 3000}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []Requirement{RequirementThreshold, RequirementProbabilistic, RequirementNotRequired} {
		if seen[r] == 0 {
			t.Errorf("no case produced %s: %v", r, seen)
		}
	}
}

func TestProofRequirementDependsOnTheSeedBlock(t *testing.T) {
	in, _, _, _ := reqCase{Count: 3, CUPR: 1, CUTTM: 1, Threshold: 1_000_000, Probability: 0.5}.input()
	got := map[Requirement]bool{}
	for i := range 64 {
		in.SeedBlockHash = bytes.Repeat([]byte{byte(i)}, 32)
		r, err := ProofRequirement(in)
		if err != nil {
			t.Fatal(err)
		}
		got[r] = true
	}
	if !got[RequirementProbabilistic] || !got[RequirementNotRequired] {
		t.Fatalf("seed never changed the outcome: %v", got)
	}
	in.SeedBlockHash = nil
	if _, err := ProofRequirement(in); err == nil {
		t.Fatal("no seed hash accepted")
	}
}
