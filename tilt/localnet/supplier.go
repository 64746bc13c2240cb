package localnet

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// SupplierStake describes one MsgStakeSupplier for StakeSupplier.
type SupplierStake struct {
	// Owner signs the stake and pays it (stake and staking fee); it receives the rewards.
	Owner Account
	// Operator signs relays, claims and proofs and pays their fees. Default Owner.
	Operator Account
	// Endpoints are the services and URLs staked for. Restaking an existing supplier with
	// fewer services removes the others from the next session on (poktroll requires the
	// operator to sign a service change: see Restake).
	Endpoints []Endpoint
	// Restake signs with the operator instead of the owner, as poktroll requires for changing
	// an existing supplier's services.
	Restake bool
}

// StakeSupplier stakes (or restakes) a supplier with supplierStake upokt, all revenue to the
// owner, and waits for the tx. When the operator differs from the owner and has no public key
// on chain yet, the operator first sends 1upokt to the owner: a gateway verifies the relay
// responses it signs against that key.
func (l *Localnet) StakeSupplier(ctx context.Context, s SupplierStake) (TxResult, error) {
	if s.Owner.Name == "" || s.Owner.Address == "" {
		return TxResult{}, errors.New("localnet: stake supplier: owner is required")
	}
	if s.Operator.Name == "" {
		s.Operator = s.Owner
	}
	if len(s.Endpoints) == 0 {
		return TxResult{}, errors.New("localnet: stake supplier: at least one endpoint is required")
	}
	for _, e := range s.Endpoints {
		if err := e.validate(); err != nil {
			return TxResult{}, fmt.Errorf("localnet: stake supplier %s: %w", s.Operator.Name, err)
		}
	}
	path, err := l.writeFile("stake_"+s.Operator.Name+".yaml", supplierStakeYAML(s.Owner.Address, s.Operator.Address, s.Endpoints))
	if err != nil {
		return TxResult{}, err
	}
	signer := s.Owner.Name
	if s.Restake {
		signer = s.Operator.Name
	}
	res, err := l.SendTx(ctx, signer, "supplier", "stake-supplier", "--config", path)
	if err != nil {
		return res, fmt.Errorf("localnet: stake supplier %s: %w", s.Operator.Name, err)
	}
	if s.Operator.Address != s.Owner.Address && !s.Restake {
		if _, err := l.SendTx(ctx, s.Operator.Name, "bank", "send", s.Operator.Address, s.Owner.Address, "1upokt"); err != nil {
			return res, fmt.Errorf("localnet: publish the public key of operator %s: %w", s.Operator.Name, err)
		}
	}
	l.logf("supplier %s (owner %s) staked with %d endpoint(s) at height %d", s.Operator.Address, s.Owner.Address, len(s.Endpoints), res.Height)
	return res, nil
}

// UnstakeSupplier starts the unbonding of the supplier operated by operator (signed by the
// operator). poktroll keeps the supplier in sessions until the end of the current one; its
// claims for the sessions it served must still be made and proven.
func (l *Localnet) UnstakeSupplier(ctx context.Context, operator Account) (TxResult, error) {
	res, err := l.SendTx(ctx, operator.Name, "supplier", "unstake-supplier", operator.Address)
	if err != nil {
		return res, fmt.Errorf("localnet: unstake supplier %s: %w", operator.Name, err)
	}
	l.logf("supplier %s unstaking from height %d", operator.Address, res.Height)
	return res, nil
}

// supplierStakeYAML is the stake-supplier config: the endpoints grouped by service in the
// order given, the whole revenue share to the owner.
func supplierStakeYAML(owner, operator string, endpoints []Endpoint) string {
	var b strings.Builder
	fmt.Fprintf(&b, "owner_address: %s\noperator_address: %s\nstake_amount: %s\n", owner, operator, supplierStake)
	fmt.Fprintf(&b, "default_rev_share_percent:\n  %s: 100\nservices:\n", owner)
	var order []string
	for _, e := range endpoints {
		if !contains(order, e.ServiceID) {
			order = append(order, e.ServiceID)
		}
	}
	for _, id := range order {
		fmt.Fprintf(&b, "  - service_id: %q\n    endpoints:\n", id)
		for _, e := range endpoints {
			if e.ServiceID == id {
				fmt.Fprintf(&b, "      - publicly_exposed_url: %q\n        rpc_type: %s\n", e.URL, e.RPCType)
			}
		}
	}
	return b.String()
}
