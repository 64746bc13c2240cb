package relayer

import (
	"context"
	"fmt"
	"time"

	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	"github.com/puzpuzpuz/xsync/v4"

	"github.com/shannon-ops/pocket-relay-miner/relayer/meter"
)

// StakeMeter is the Meter over relayer/meter: it works out each session's budget and relay
// price once (PROTOCOL §4.4, at the right heights) and charges relays against it in Redis.
type StakeMeter struct {
	m         *meter.Meter
	chain     Chain
	heights   Heights
	suppliers func(ctx context.Context) (uint64, error) // live num_suppliers_per_session
	blockTime time.Duration
	failOpen  bool
	budgets   *xsync.Map[string, *budget] // by session id
}

type budget struct {
	metered       bool
	maxCoin, cost uint64
	claimOpen     int64
}

// NewStakeMeter builds the meter. numSuppliers returns the live session param
// num_suppliers_per_session; blockTime converts the blocks left until the claim window into
// the meter key's TTL; failOpen decides relays whose budget cannot be read from the chain.
func NewStakeMeter(m *meter.Meter, c Chain, h Heights, numSuppliers func(context.Context) (uint64, error), blockTime time.Duration, failOpen bool) *StakeMeter {
	return &StakeMeter{m: m, chain: c, heights: h, suppliers: numSuppliers, blockTime: blockTime, failOpen: failOpen,
		budgets: xsync.NewMap[string, *budget]()}
}

// Consume charges one relay of the session h to supplier.
func (s *StakeMeter) Consume(ctx context.Context, supplier string, h *sessiontypes.SessionHeader) (meter.Decision, error) {
	b, err := s.budget(ctx, h)
	if err != nil { // the budget cannot be known: decide as for an unreachable meter
		if s.failOpen {
			return meter.Decision{Outcome: meter.OutcomeFailOpen}, err
		}
		return meter.Decision{Outcome: meter.OutcomeFailClosed}, err
	}
	if !b.metered {
		return s.m.Skip(), nil
	}
	cur := s.heights.Height()
	ttl := time.Duration(max(b.claimOpen-cur, 1)+2) * s.blockTime
	return s.m.Consume(ctx, supplier, h.SessionId, b.maxCoin, b.cost, ttl)
}

// Refund gives one relay back.
func (s *StakeMeter) Refund(ctx context.Context, supplier string, h *sessiontypes.SessionHeader) error {
	b, ok := s.budgets.Load(h.SessionId)
	if !ok || !b.metered {
		return nil
	}
	return s.m.Refund(ctx, supplier, h.SessionId, b.cost)
}

// budget computes (once per session) MaxCoin with the live stake and supplier count and the
// shared params of the session, and RelayCost with the CUPR at the session start. Params are
// constant within a session (changes apply at session starts), so those at the start height
// serve for both the end-height and the start-height values.
func (s *StakeMeter) budget(ctx context.Context, h *sessiontypes.SessionHeader) (*budget, error) {
	if b, ok := s.budgets.Load(h.SessionId); ok {
		return b, nil
	}
	app, err := s.chain.Application(ctx, h.ApplicationAddress)
	if err != nil {
		return nil, err
	}
	b := &budget{metered: meter.Metered(app)}
	params, err := s.chain.SharedParamsAt(ctx, h.SessionStartBlockHeight)
	if err != nil {
		return nil, err
	}
	b.claimOpen = sharedtypes.GetClaimWindowOpenHeight(params, h.SessionEndBlockHeight)
	if b.metered {
		n, err := s.suppliers(ctx)
		if err != nil {
			return nil, err
		}
		cupr, err := s.chain.CUPRAt(ctx, h.ServiceId, h.SessionStartBlockHeight)
		if err != nil {
			return nil, err
		}
		if app.Stake == nil {
			return nil, fmt.Errorf("application %s has no stake", app.Address)
		}
		maxCoin, err := meter.MaxCoin(*app.Stake, n, params)
		if err != nil {
			return nil, err
		}
		cost, err := meter.RelayCost(cupr, params)
		if err != nil {
			return nil, err
		}
		b.maxCoin, b.cost = meter.Units(maxCoin.Amount), meter.Units(cost)
	}
	s.budgets.Store(h.SessionId, b)
	return b, nil
}

// prune forgets budgets of sessions whose claim window opened.
func (s *StakeMeter) prune(cur int64) {
	s.budgets.Range(func(k string, b *budget) bool {
		if cur >= b.claimOpen {
			s.budgets.Delete(k)
		}
		return true
	})
}
