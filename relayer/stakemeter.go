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
// num_suppliers_per_session; blockTime (pocket_node.block_time) converts the blocks left until
// the claim window into the meter key's safety TTL (keyTTL); failOpen decides relays whose budget cannot be read from the chain.
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
	return s.m.Consume(ctx, supplier, h.SessionId, b.maxCoin, b.cost, s.keyTTL(b.claimOpen))
}

// meterTTLSlack is how many times slower than the configured block_time the chain may run
// before a meter key could expire ahead of its session's claim window.
const meterTTLSlack = 10

// keyTTL is the lifetime a meter key gets from now. The budget must last until the block feed
// reports the session's claim window open height (no relay of the session is mined after it),
// but that is a height, not a time: the real block time may differ from the configured one, and
// a key that expired early would hand the application a fresh budget mid-session. So the key
// lives meterTTLSlack × the configured time of the blocks still to come (plus two), counted
// from the latest height the block feed reported, and every charge recomputes it from the new
// height and raises it: the key can only expire before the claim window while the chain runs
// more than meterTTLSlack times slower than configured and no relay of the session arrives.
// After the claim window it is garbage, and expiring is all that is left for it to do.
func (s *StakeMeter) keyTTL(claimOpen int64) time.Duration {
	left := max(claimOpen-s.heights.Height(), 1) + 2
	return time.Duration(left*meterTTLSlack) * s.blockTime
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
