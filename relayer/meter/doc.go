// Package meter is the relay meter (over-servicing protection, PROTOCOL.md §4.4): it stops a
// supplier from serving an application more than the application's stake can pay for in one
// session.
//
// # API
//
//	m, err := meter.New(rdb, keys, cfg.Meter.FailMode, log, reg) // no I/O
//
//	// Once per (session, app): the budget and the price, from chain data at the right heights.
//	if !meter.Metered(&app) { d := m.Skip(); … }                 // not exactly one service config
//	maxCoin, _ := meter.MaxCoin(*app.Stake, sessionParams.NumSuppliersPerSession, &sharedAtEnd)
//	cost, _ := meter.RelayCost(cuprAtStart, &sharedAtStart)
//
//	// Per relay:
//	d, err := m.Consume(ctx, operator, sessionID, meter.Units(maxCoin.Amount), meter.Units(cost), ttl)
//	if !d.Serve() { refuse (over_serviced or fail_closed) }      // err is for the log only
//	…
//	if d.Refundable() && notMined { m.Refund(ctx, operator, sessionID, meter.Units(cost)) }
//
// ttl is how long the key must live from now: at least until the session's claim window opens
// (after which the relay can no longer be mined, §4.3), converted from blocks to time by the
// caller with generous slack (the chain's real block time is not known in advance). It is set
// when the key is created and raised, never lowered, by every later Consume; at least MinTTL.
//
// # Formula
// MaxCoin = floor( floor(appStake / num_suppliers_per_session) / (ceil(Σoffsets / N) + 1) ),
// with the shared params at the session END height (Σoffsets = claim open + claim close + proof
// open + proof close offsets, N = num_blocks_per_session; the ceil is poktroll's
// sharedtypes.GetNumPendingSessions) and the live num_suppliers_per_session. RelayCost =
// floor( CUPR × compute_units_to_tokens_multiplier / compute_unit_cost_granularity ) with CUPR and
// params at the session START height; no difficulty factor. Both are pure and checked against a
// naive big.Int reference with testing/quick. Amounts are upokt; Units clamps them to
// [0, MaxUnits = 2^53] because the Lua script compares in doubles.
//
// # Redis
// One key per (supplier, session): Keys.Meter(operator, sessionID), an integer string of the
// upokt consumed, under the supplier's hash tag. Suppliers of one session never share a counter.
// Consume is one EVALSHA of consume.lua (EVAL on NOSCRIPT, e.g. after a Redis restart): if
// consumed + cost ≤ maxCoin it adds cost (SET … PX ttl on first use, INCRBY and a PEXPIRE that
// only raises the TTL after) and answers allowed, otherwise it changes nothing and answers over_serviced. The script touches one key,
// so it runs unchanged on Redis Cluster. Concurrent relayers therefore never consume more than
// maxCoin in total. Refund (refund.lua) subtracts cost, never below zero, keeps the TTL, and does
// not recreate an expired key.
//
// # Failures
// When Redis fails, fail_mode open serves the relay unmetered (outcome fail_open) and closed
// refuses it (fail_closed); the error is returned beside the decision. A failed Refund leaves the
// budget consumed, which only errs on the safe side.
//
// # Metrics
//
//	relayminer_meter_decisions_total{outcome}  allowed|over_serviced|fail_open|fail_closed|skipped
//	relayminer_meter_refunds_total             refunds applied
//	relayminer_meter_refund_errors_total       refunds that could not reach Redis
package meter
