package meter

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/transport"
)

var (
	//go:embed consume.lua
	consumeSrc    string
	consumeScript = redis.NewScript(consumeSrc)
	//go:embed refund.lua
	refundSrc    string
	refundScript = redis.NewScript(refundSrc)
)

// MinTTL is the shortest TTL a meter key gets; Consume raises smaller values to it, so no meter
// key ever lives without one.
const MinTTL = time.Second

// Meter is the relay meter client: one budget per (supplier, session) in Redis. It is safe for
// concurrent use and holds no per-session state in process.
type Meter struct {
	rdb      redis.UniversalClient
	keys     transport.Keys
	failOpen bool
	log      zerolog.Logger
	m        *metrics
}

// New builds a Meter. failMode decides what Consume answers when Redis fails. It does no I/O.
func New(rdb redis.UniversalClient, keys transport.Keys, failMode config.FailMode, log zerolog.Logger, reg prometheus.Registerer) (*Meter, error) {
	if rdb == nil {
		return nil, errors.New("relay meter: nil redis client")
	}
	switch failMode {
	case config.FailOpen, config.FailClosed:
	default:
		return nil, fmt.Errorf("relay meter: unknown fail mode %q (want open or closed)", failMode)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("relay meter metrics: %w", err)
	}
	return &Meter{rdb: rdb, keys: keys, failOpen: failMode == config.FailOpen, log: log, m: m}, nil
}

// Consume charges cost against the budget maxCoin of (operator, sessionID) in one atomic script
// call (EVALSHA): if consumed+cost ≤ maxCoin the cost is added and the outcome is allowed,
// otherwise nothing changes and the outcome is over_serviced. ttl is the key's lifetime from
// now (long enough to outlive the session's claim window opening; at least MinTTL): it is set
// when this call creates the key and raised, never lowered, on every later call. When Redis
// fails the outcome is fail_open or fail_closed per the fail mode, and the error is returned
// beside it for logging. Every call counts one decision. Amounts are in upokt; see Units.
func (mt *Meter) Consume(ctx context.Context, operator, sessionID string, maxCoin, cost uint64, ttl time.Duration) (Decision, error) {
	ttl = max(ttl, MinTTL)
	key := mt.keys.Meter(operator, sessionID)
	res, err := consumeScript.Run(ctx, mt.rdb, []string{key},
		min(maxCoin, MaxUnits), min(cost, MaxUnits), ttl.Milliseconds()).Int64Slice()
	if err == nil && len(res) != 2 {
		err = fmt.Errorf("unexpected reply %v", res)
	}
	if err != nil {
		d := Decision{Outcome: OutcomeFailClosed}
		if mt.failOpen {
			d.Outcome = OutcomeFailOpen
		}
		mt.m.decided(d.Outcome)
		return d, fmt.Errorf("relay meter %s: %w", key, err)
	}
	d := Decision{Outcome: OutcomeOverServiced, Consumed: uint64(res[1])}
	if res[0] == 1 {
		d.Outcome = OutcomeAllowed
	}
	mt.m.decided(d.Outcome)
	return d, nil
}

// Skip records a relay served without metering (Metered is false for its application).
func (mt *Meter) Skip() Decision {
	mt.m.decided(OutcomeSkipped)
	return Decision{Outcome: OutcomeSkipped}
}

// Refund gives cost back to the budget of (operator, sessionID), never below zero, when a relay
// that Consume allowed (Decision.Refundable) is not mined after all. A refund to an expired key
// does nothing. A Redis error leaves the budget consumed, which errs on the safe side.
func (mt *Meter) Refund(ctx context.Context, operator, sessionID string, cost uint64) error {
	key := mt.keys.Meter(operator, sessionID)
	if err := refundScript.Run(ctx, mt.rdb, []string{key}, strconv.FormatUint(min(cost, MaxUnits), 10)).Err(); err != nil {
		mt.m.refundErrors.Inc()
		return fmt.Errorf("relay meter refund %s: %w", key, err)
	}
	mt.m.refunds.Inc()
	return nil
}
