package relayer

import (
	"context"
	"strconv"

	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shannon-ops/pocket-relay-miner/relayer/ring"
)

// A ring is built from the application as first read for a session, but a gateway can be
// delegated to mid-session and, per poktroll v0.1.35 (pkg/crypto/rings:
// GetRingAddressesAtSessionEndHeight), counts in the ring of every session that has not ended
// yet: delegations are read from the current state, only pending undelegations are filtered by
// session end height. So a signature that fails against a cached ring may be from a gateway
// the cache does not know yet. refresh reloads the application from the chain and rebuilds the
// ring, at most once per (application, session end) per block height: the application's state
// changes only when a block commits, so a second reload at the same height could only return
// the same answer, and bad signatures cost at most one chain lookup per block.

// refreshOutcome labels ring_refreshes_total.
type refreshOutcome uint8

const (
	refreshChanged   refreshOutcome = iota // reloaded; the ring has new members
	refreshUnchanged                       // reloaded; same members
	refreshShared                          // another relay reloaded it since: its ring is used
	refreshLimited                         // already reloaded at this height: not reloaded
	refreshFailed                          // the reload or the ring build failed; old ring kept
	numRefreshOutcomes
)

var refreshOutcomeNames = [numRefreshOutcomes]string{"changed", "unchanged", "shared", "rate_limited", "failed"}

func (c *ringCache) initMetrics() {
	c.refreshes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "relayminer", Name: "ring_refreshes_total",
		Help: "Relays whose ring signature failed against a cached ring and were retried after an application reload (one per ring per block), by what the retry found.",
	}, []string{"outcome"})
	for o := range numRefreshOutcomes {
		c.refreshed[o] = c.refreshes.WithLabelValues(refreshOutcomeNames[o])
	}
}

// refresh returns a newer ring of (app, end) than stale, or nil when there is none to try:
// the ring another relay already refreshed, or one rebuilt from the application reloaded now
// if no reload happened at height cur yet. Concurrent callers share one reload (a burst of
// relays from a newly delegated gateway waits for it instead of being refused).
func (c *ringCache) refresh(ctx context.Context, app string, end, expire, cur int64, stale *ring.Ring) *ring.Ring {
	k := ringKey{app, end}
	v, _, _ := c.sf.Do(app+"/"+strconv.FormatInt(end, 10), func() (any, error) {
		r, o := c.reload(ctx, k, expire, cur, stale)
		return refreshResult{r, o}, nil
	})
	res := v.(refreshResult)
	c.refreshed[res.outcome].Inc()
	if res.ring == stale {
		return nil
	}
	return res.ring
}

type refreshResult struct {
	ring    *ring.Ring
	outcome refreshOutcome
}

// reload runs under the (app, end) flight: one caller at a time per ring.
func (c *ringCache) reload(ctx context.Context, k ringKey, expire, cur int64, stale *ring.Ring) (*ring.Ring, refreshOutcome) {
	e, loaded := c.m.Load(k)
	switch {
	case loaded && e.ring != stale:
		return e.ring, refreshShared
	case loaded && e.reloaded >= cur:
		return nil, refreshLimited
	}
	if !loaded {
		e = ringEntry{ring: stale, expire: expire}
	}
	e.reloaded = cur
	c.m.Store(k, e) // the height is spent even if the reload fails: bad input costs one lookup
	r, err := c.rebuild(ctx, k.app, k.end)
	if err != nil {
		return nil, refreshFailed
	}
	e.ring = r
	c.m.Store(k, e)
	if r == stale {
		return nil, refreshUnchanged
	}
	return r, refreshChanged
}

// rebuild prepares the ring of app at session end height end from the application as the
// chain has it now.
func (c *ringCache) rebuild(ctx context.Context, appAddr string, end int64) (*ring.Ring, error) {
	app, err := c.chain.ReloadApplication(ctx, appAddr)
	if err != nil {
		return nil, ringError("reload application "+appAddr, err)
	}
	keys, err := c.keysOf(ctx, app, end)
	if err != nil {
		return nil, err
	}
	r, err := c.verifier.PrepareRing(keys)
	if err != nil {
		return nil, reject(reasonRingUnavailable, "prepare ring of %s: %w", appAddr, err)
	}
	return r, nil
}

// verifyRing checks req's ring signature against e's ring and, if it does not verify, once
// more against a refreshed ring (see refresh). A relay that verifies against the refreshed
// ring replaces e's ring, so later relays of the session verify at once; the returned entry
// is the one to use. e must not be shared yet unless stored is set (then a copy is stored).
func (v *validator) verifyRing(ctx context.Context, e *sessionEntry, req *servicetypes.RelayRequest, cur int64, stored bool) (*sessionEntry, error) {
	err := v.verifySignature(e.ring, req)
	if err == nil || reasonOf(err) != reasonBadSignature {
		return e, err
	}
	h := req.Meta.SessionHeader
	newer := v.rings.refresh(ctx, h.ApplicationAddress, h.SessionEndBlockHeight, e.claimOpen, cur, e.ring)
	if newer == nil {
		return e, err
	}
	if v.verifySignature(newer, req) != nil {
		return e, err
	}
	if !stored {
		e.ring = newer
		return e, nil
	}
	fresh := *e
	fresh.ring = newer
	v.sessions.Store(sessionKey{h.SessionId, req.Meta.SupplierOperatorAddress}, &fresh)
	return &fresh, nil
}
