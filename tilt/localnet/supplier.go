package localnet

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// SupplierStake describes one MsgStakeSupplier for StakeSupplier.
type SupplierStake struct {
	// Owner pays the stake and the staking fee and receives the rewards.
	Owner Account
	// Operator signs relays, claims and proofs and pays their fees. Default Owner.
	Operator Account
	// Endpoints are the services and URLs staked for.
	Endpoints []Endpoint
	// Restake changes the services of an existing supplier (signed by the operator, as
	// poktroll requires): services left out are removed from the next session on.
	Restake bool
}

// StakeSupplier stakes a new supplier with supplierStake upokt, all revenue to the owner, or
// with Restake changes its services, and returns the last tx. poktroll v0.1.35 lets an owner
// stake a new supplier only without services, and only the operator may set them; so when
// the operator differs, the owner stakes and the operator then sets the services (which also
// puts the operator's public key on chain, where gateways verify its relay signatures).
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
	type step struct {
		signer, config string
		flags          []string
	}
	var steps []step
	switch {
	case s.Restake:
		steps = []step{{s.Operator.Name, supplierStakeYAML(s.Owner.Address, s.Operator.Address, false, s.Endpoints), []string{"--services-only"}}}
	case s.Operator.Address == s.Owner.Address:
		steps = []step{{s.Owner.Name, supplierStakeYAML(s.Owner.Address, s.Operator.Address, true, s.Endpoints), nil}}
	default:
		steps = []step{
			{s.Owner.Name, supplierStakeYAML(s.Owner.Address, s.Operator.Address, true, nil), []string{"--stake-only"}},
			{s.Operator.Name, supplierStakeYAML(s.Owner.Address, s.Operator.Address, false, s.Endpoints), []string{"--services-only"}},
		}
	}
	var res TxResult
	for i, st := range steps {
		path, err := l.writeFile(fmt.Sprintf("stake_%s_%d.yaml", s.Operator.Name, i), st.config)
		if err != nil {
			return res, err
		}
		if res, err = l.SendTx(ctx, st.signer, append([]string{"supplier", "stake-supplier", "--config", path}, st.flags...)...); err != nil {
			return res, fmt.Errorf("localnet: stake supplier %s (signed by %s): %w", s.Operator.Name, st.signer, err)
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

// supplierStakeYAML is the stake-supplier config: the stake amount when withStake, then the
// endpoints grouped by service in the order given (none: no services section), the whole
// revenue share to the owner.
func supplierStakeYAML(owner, operator string, withStake bool, endpoints []Endpoint) string {
	var b strings.Builder
	fmt.Fprintf(&b, "owner_address: %s\noperator_address: %s\n", owner, operator)
	if withStake {
		fmt.Fprintf(&b, "stake_amount: %s\n", supplierStake)
	}
	if len(endpoints) == 0 {
		return b.String()
	}
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
