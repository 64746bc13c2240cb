//go:build !race

package backend

import (
	"context"
	"testing"
)

// TestDoAllocationBudget keeps the pool's own per-relay allocations in check (the canned
// round tripper accounts for 6 of them). Under -race sync.Pool drops Puts, so the budget only
// holds without it.
func TestDoAllocationBudget(t *testing.T) {
	p := overheadPool(t)
	req := postReq("/", `{"id":1}`)
	h := Headers{Supplier: "s", Application: "a"}
	var out []byte
	allocs := testing.AllocsPerRun(200, func() {
		res, err := p.Do(context.Background(), req, h)
		if err != nil {
			t.Fatal(err)
		}
		out = res.AppendPOKT(out[:0])
		res.Release()
	})
	if allocs > 22 {
		t.Fatalf("%.0f allocations per Do, budget 22", allocs)
	}
}
