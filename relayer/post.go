package relayer

import (
	"context"
	"time"

	"github.com/pokt-network/poktroll/pkg/crypto/protocol"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"

	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// postJob is the work left after a relay was answered: optimistic validation, reward
// eligibility, mining and publishing. It runs on the bounded post pool, never on the
// request goroutine.
type postJob struct {
	s       *Server
	svc     *service
	req     *servicetypes.RelayRequest
	resp    *servicetypes.RelayResponse // as sent to the client; nil when the relay failed
	entry   *sessionEntry               // nil until validated (optimistic mode)
	status  uint32                      // backend HTTP status
	height  int64                       // block height when the answer was written
	metered bool                        // one relay was consumed from the meter
}

// handOff queues j. A full queue drops it, counted; its meter charge (if any) is then left
// to expire with the session, which only errs on the side of serving less.
func (s *Server) handOff(j *postJob) {
	if err := s.post.Go(j.run); err != nil {
		j.svc.post[outcomeDropped].Inc()
	}
}

// refundLater gives back the meter charge of a relay that failed before it was answered.
func (s *Server) refundLater(j *postJob) {
	if !j.metered {
		return
	}
	if err := s.post.Go(j.refund); err != nil {
		j.svc.post[outcomeDropped].Inc()
	}
}

func (j *postJob) refund() {
	ctx, cancel := context.WithTimeout(context.Background(), j.s.postTimeout)
	defer cancel()
	if err := j.s.meter.Refund(ctx, j.req.Meta.SupplierOperatorAddress, j.req.Meta.SessionHeader); err != nil {
		j.s.log.Debug().Err(err).Msg("meter refund")
	}
	j.metered = false
}

// run decides whether the served relay is mined and publishes it.
func (j *postJob) run() {
	ctx, cancel := context.WithTimeout(context.Background(), j.s.postTimeout)
	defer cancel()
	o := j.mine(ctx)
	j.svc.post[o].Inc()
	if j.metered && o.refunds() {
		j.refund()
	}
}

// refunds reports whether a served relay with outcome o gives its meter charge back. It is
// poktroll v0.1.35's rule (pkg/relayer/proxy/sync.go: SetNonApplicableRelayReward runs unless
// the relay reached the mining channel): the charge is reverted for a relay that is not
// reward-applicable (claim window open, backend status >= 500, over-serviced), could not be
// built, or was dropped before the miner. A relay above the difficulty target was handed to
// mining and keeps its charge: the chain pays each mined relay as (difficulty multiplier)
// relays, so the unmined ones are paid through the mined ones. Refunding them would let a
// supplier serve multiplier × the application's budget and be paid for only one budget.
func (o outcome) refunds() bool {
	return o != outcomeMined && o != outcomeBelowTarget
}

func (j *postJob) mine(ctx context.Context) outcome {
	s := j.s
	if j.entry == nil { // optimistic: validate now; a failing relay is never mined
		e, err := s.v.validate(ctx, j.req)
		if err != nil {
			if ev := s.log.Debug(); ev.Enabled() {
				ev.Str("service", j.svc.id).Str("reason", reasonOf(err).String()).Err(err).Msg("optimistic validation failed")
			}
			return outcomeInvalid
		}
		j.entry = e
		metered, err := s.consume(ctx, j.req)
		if err != nil { // over-serviced (or the meter is down, fail closed): served, not mined
			return outcomeNotEligible
		}
		j.metered = metered
	}
	if j.s.recheck.sampled() && !j.agrees() { // recheck.go
		return outcomeInvalid
	}
	// Reward eligibility (PROTOCOL §4.1 step 7-8): answered before the claim window opened
	// and the backend did not fail.
	if j.height >= j.entry.claimOpen || j.status >= 500 {
		return outcomeNotEligible
	}
	bz, err := dehydratedRelay(j.req, j.resp)
	if err != nil {
		return outcomeError
	}
	hash := protocol.GetRelayHashFromBytes(bz)
	if !protocol.IsRelayVolumeApplicable(hash[:], j.entry.target) {
		return outcomeBelowTarget
	}
	h := &j.entry.header
	m := transport.Message{
		Relay: bz, RelayHash: hash, ComputeUnitsPerRelay: j.entry.cupr,
		Supplier: j.req.Meta.SupplierOperatorAddress, Application: h.ApplicationAddress,
		ServiceID: h.ServiceId, SessionID: h.SessionId,
		SessionStartHeight: h.SessionStartBlockHeight, SessionEndHeight: h.SessionEndBlockHeight,
	}
	t := time.Now()
	ok := s.pub.Enqueue(m)
	observe(j.svc, stagePublish, t)
	if !ok {
		return outcomeDropped
	}
	return outcomeMined
}
