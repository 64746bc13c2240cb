//go:build e2e

package e2e

import (
	"slices"
	"testing"
)

// TestSupplierStakedEveryRPCType checks that supplier1's stake carries one endpoint per rpc
// type, as later issues need for our relayer's transports.
func TestSupplierStakedEveryRPCType(t *testing.T) {
	s, err := chain.Supplier(t.Context(), chain.Accounts.Supplier.Address)
	if err != nil {
		t.Fatal(err)
	}
	if s.OwnerAddress != chain.Accounts.Supplier.Address {
		t.Errorf("owner %s, want %s", s.OwnerAddress, chain.Accounts.Supplier.Address)
	}
	if !slices.Equal(s.Endpoints, chain.Endpoints) {
		t.Fatalf("staked endpoints on chain:\n%v\nwant:\n%v", s.Endpoints, chain.Endpoints)
	}
}
