package relayer

import (
	"context"
	"errors"
	"slices"

	"github.com/pokt-network/poktroll/pkg/crypto/rings"
	apptypes "github.com/pokt-network/poktroll/x/application/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/puzpuzpuz/xsync/v4"
	"golang.org/x/sync/singleflight"

	"github.com/shannon-ops/pocket-relay-miner/query"
	"github.com/shannon-ops/pocket-relay-miner/relayer/ring"
)

// ringKey is an application's ring at one session end height.
type ringKey struct {
	app string
	end int64
}

type ringEntry struct {
	ring   *ring.Ring
	expire int64 // height from which no relay of that session is mined: drop then
	// reloaded is the block height of the last ReloadApplication for this ring (0: never).
	reloaded int64
}

// ringCache resolves and keeps the expected ring of (application, session end height):
// PROTOCOL §3.1 membership from poktroll's pure helper, keys through Chain, the curve tables
// from ring.Verifier's LRU (shared by every application with the same member set).
type ringCache struct {
	chain     Chain
	verifier  *ring.Verifier
	m         *xsync.Map[ringKey, ringEntry]
	refreshes *prometheus.CounterVec // ring_refreshes_total{outcome}; registered by New
	refreshed [numRefreshOutcomes]prometheus.Counter
	sf        singleflight.Group // one application reload per (app, end) at a time
}

func newRingCache(c Chain, v *ring.Verifier) *ringCache {
	rc := &ringCache{chain: c, verifier: v, m: xsync.NewMap[ringKey, ringEntry]()}
	rc.initMetrics()
	return rc
}

// get returns the prepared ring of app at session end height end.
func (c *ringCache) get(ctx context.Context, app string, end, expire int64) (*ring.Ring, error) {
	k := ringKey{app, end}
	if e, ok := c.m.Load(k); ok {
		return e.ring, nil
	}
	keys, err := c.memberKeys(ctx, app, end)
	if err != nil {
		return nil, err
	}
	r, err := c.verifier.PrepareRing(keys)
	if err != nil {
		return nil, reject(reasonRingUnavailable, "prepare ring of %s: %w", app, err)
	}
	c.m.Store(k, ringEntry{ring: r, expire: expire})
	return r, nil
}

// memberKeys returns the 33-byte keys of the application, the gateways it delegates to at
// the session end height (pending undelegations at or after it included) and the placeholder
// key when there are none. Order does not matter to ring.Verifier.
func (c *ringCache) memberKeys(ctx context.Context, appAddr string, end int64) ([][]byte, error) {
	app, err := c.chain.Application(ctx, appAddr)
	if err != nil {
		return nil, ringError("application "+appAddr, err)
	}
	return c.keysOf(ctx, app, end)
}

// keysOf is memberKeys for an application already read.
func (c *ringCache) keysOf(ctx context.Context, app *apptypes.Application, end int64) ([][]byte, error) {
	appAddr := app.Address
	// The helper appends to the delegatee slice: give it a clipped copy, never the cached one.
	view := *app
	view.DelegateeGatewayAddresses = slices.Clip(app.DelegateeGatewayAddresses)
	gateways := rings.GetRingAddressesAtSessionEndHeight(&view, uint64(end))

	addrs := append(make([]string, 0, len(gateways)+1), appAddr)
	addrs = append(addrs, gateways...)
	keys := make([][]byte, 0, len(addrs)+1)
	if len(gateways) == 0 {
		keys = append(keys, rings.PlaceholderRingPubKey.Bytes())
	}
	for _, a := range addrs {
		pk, err := c.chain.AccountPubKey(ctx, a)
		if err != nil {
			return nil, ringError("public key of "+a, err)
		}
		keys = append(keys, pk.Bytes())
	}
	return keys, nil
}

func (c *ringCache) prune(cur int64) {
	c.m.Range(func(k ringKey, e ringEntry) bool {
		if cur >= e.expire {
			c.m.Delete(k)
		}
		return true
	})
}

// ringError: a transient failure is chain_unavailable; anything else (no such application,
// an account without a public key) means the ring cannot be built: ring_unavailable.
func ringError(what string, err error) error {
	if errors.Is(err, query.ErrTransient) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return reject(reasonChainUnavailable, "%s: %w", what, err)
	}
	return reject(reasonRingUnavailable, "%s: %w", what, err)
}
