package relayer

import (
	"math/rand/v2"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shannon-ops/pocket-relay-miner/relayer/ring"
)

// relayer/ring is our own implementation of the ring signature check; the chain verifies the
// relay inside a proof with ring-go. Were the two ever to disagree on a relay we accept, every
// proof that samples such a relay would fail and the supplier be slashed. So a configurable
// fraction of accepted relays (ring_recheck.sample_rate) is checked again with ring-go, after
// the answer, on the post pool; a disagreement is counted and logged at error level, and the
// relay is not mined, since the chain would refuse it.

// recheckOutcome labels ring_recheck_total.
type recheckOutcome uint8

const (
	recheckAgree    recheckOutcome = iota // ring-go accepts the relay too
	recheckMismatch                       // ring-go rejects what the fast verifier accepted
	numRecheckOutcomes
)

var recheckOutcomeNames = [numRecheckOutcomes]string{"agree", "mismatch"}

type recheck struct {
	rate     float64
	counters *prometheus.CounterVec
	outcomes [numRecheckOutcomes]prometheus.Counter
	// verify is ring.VerifyReference; tests swap it.
	verify func(members [][]byte, msg [32]byte, sig []byte) error
}

func newRecheck(rate float64, reg prometheus.Registerer) (*recheck, error) {
	rc := &recheck{rate: rate, verify: ring.VerifyReference,
		counters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "relayminer", Name: "ring_recheck_total",
			Help: "Accepted relays whose ring signature was verified again with ring-go, by outcome (agree, mismatch).",
		}, []string{"outcome"})}
	for o := range numRecheckOutcomes {
		rc.outcomes[o] = rc.counters.WithLabelValues(recheckOutcomeNames[o])
	}
	if err := reg.Register(rc.counters); err != nil {
		return nil, err
	}
	return rc, nil
}

// sampled reports whether this relay is one of the fraction to recheck.
func (rc *recheck) sampled() bool { return rc.rate > 0 && rand.Float64() < rc.rate }

// agrees verifies req with ring-go against the members of the ring the fast verifier
// accepted it with, and reports whether ring-go accepts it too.
func (j *postJob) agrees() bool {
	rc := j.s.recheck
	hash, err := j.req.GetSignableBytesHash()
	if err == nil {
		err = rc.verify(j.entry.ring.Members(), hash, j.req.Meta.Signature)
	}
	if err == nil {
		rc.outcomes[recheckAgree].Inc()
		return true
	}
	rc.outcomes[recheckMismatch].Inc()
	h := j.req.Meta.SessionHeader
	j.s.log.Error().Err(err).Str("service", j.svc.id).Str("application", h.ApplicationAddress).
		Str("session", h.SessionId).Msg("ring-go rejects a relay the fast ring verifier accepted; not mined")
	return false
}
