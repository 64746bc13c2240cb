package leader

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// Owner is told which suppliers this replica owns.
type Owner interface {
	// Acquired says this replica now holds supplier's lease. ctx is cancelled when the holding
	// ends; fence guards the supplier's writes. Acquired runs on the ownership goroutine and must
	// return at once: start the supplier's worker and return.
	Acquired(ctx context.Context, supplier string, fence Fence)
	// Lost says the holding ended (its ctx is already cancelled). It must return only once
	// nothing of the supplier runs here any more: a lease given up voluntarily (reason
	// LossReleased) is released only after Lost returned, so no other replica starts before.
	// Lost runs on a goroutine of its own and may block.
	Lost(supplier string, fence Fence, reason LossReason)
}

// Ownership spreads the leases of a set of suppliers over the live miner replicas and holds this
// replica's fair share.
type Ownership struct {
	e       *engine
	owner   Owner
	replica string
	running atomic.Bool

	mu        sync.Mutex
	suppliers []string // sorted, distinct
}

// NewOwnership builds the ownership of replicaID, which must be unique among the replicas and
// should be stable across restarts. keys gives the lease keys (SupplierLease) and the replica
// set (MinerReplicas). ttl is the lease time to live and the liveness window of a replica;
// renewEvery, at most ttl/2, is the period of renewals, heartbeats and acquisitions. It does
// no I/O. reg may be nil.
func NewOwnership(client redis.UniversalClient, keys transport.Keys, replicaID string, ttl, renewEvery time.Duration, owner Owner, log zerolog.Logger, reg prometheus.Registerer) (*Ownership, error) {
	if client == nil || owner == nil {
		return nil, errors.New("ownership: nil redis client or owner")
	}
	if replicaID == "" {
		return nil, errors.New("ownership: replica id must not be empty")
	}
	if err := validateTiming(ttl, renewEvery); err != nil {
		return nil, fmt.Errorf("ownership: %w", err)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("ownership metrics: %w", err)
	}
	m.init(kindSupplier)
	o := &Ownership{owner: owner, replica: replicaID}
	o.e = &engine{
		client:     client,
		cluster:    isCluster(client),
		kind:       kindSupplier,
		holder:     replicaID,
		ttl:        ttl,
		renewEvery: renewEvery,
		margin:     demoteMargin(ttl),
		keyOf:      keys.SupplierLease,
		members:    keys.MinerReplicas(),
		plan:       o.plan,
		hooks:      o,
		log:        log.With().Str("component", "ownership").Str("replica", replicaID).Logger(),
		m:          m,
		wake:       make(chan struct{}, 1),
		ended:      make(chan endEvent),
		view:       make(map[string]Fence),
	}
	return o, nil
}

// SetSuppliers replaces the set of suppliers to spread (the operator addresses this fleet
// serves). Every replica should be given the same set. It is safe to call at any time, before
// or during Run; the change takes effect at once.
func (o *Ownership) SetSuppliers(ids []string) {
	s := slices.Clone(ids)
	slices.Sort(s)
	s = slices.Compact(s)
	if len(s) > 0 && s[0] == "" {
		s = s[1:]
	}
	o.mu.Lock()
	o.suppliers = s
	o.mu.Unlock()
	select {
	case o.e.wake <- struct{}{}:
	default:
	}
}

// Run heartbeats, acquires, renews and rebalances until ctx ends. Then it stops the work of
// every owned supplier (Owner.Lost, renewing meanwhile), releases the leases, leaves the
// replica set and returns nil, after every goroutine it started has exited. Redis errors never
// make Run return.
func (o *Ownership) Run(ctx context.Context) error {
	if !o.running.CompareAndSwap(false, true) {
		return errors.New("ownership: Run is already running")
	}
	defer o.running.Store(false)
	return o.e.run(ctx)
}

// Owned returns the suppliers whose work runs here now, sorted.
func (o *Ownership) Owned() []string { return o.e.owned() }

// Fence returns the fence of supplier while this replica owns it.
func (o *Ownership) Fence(supplier string) (Fence, bool) { return o.e.fence(supplier) }

// plan is this replica's share given the live replicas.
func (o *Ownership) plan(live []string) map[string]bool {
	if !slices.Contains(live, o.replica) {
		live = append(slices.Clone(live), o.replica)
		slices.Sort(live)
	}
	o.mu.Lock()
	s := o.suppliers
	o.mu.Unlock()
	return share(s, live, o.replica)
}

func (o *Ownership) start(ctx context.Context, id string, f Fence) { o.owner.Acquired(ctx, id, f) }

func (o *Ownership) stop(id string, f Fence, reason LossReason) { o.owner.Lost(id, f, reason) }
