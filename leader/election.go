package leader

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// globalID is the engine id of the one lease of an Election.
const globalID = "global"

// LeadFunc is the work of the leader. It runs while this process holds the lease and must
// return promptly once leaderCtx is cancelled, which happens when leadership is lost or Run's ctx
// ends. token is the fencing token of this leadership term.
type LeadFunc func(leaderCtx context.Context, token int64) error

// Election contends for one lease (the global leader) and runs a LeadFunc while it holds it.
type Election struct {
	e       *engine
	lead    LeadFunc
	running atomic.Bool

	mu   sync.Mutex
	done chan struct{} // closed when the current term's LeadFunc returned
}

// NewElection builds an election for key among holders with distinct holderIDs. ttl is the
// lease time to live and bounds the failover (see the package doc); renewEvery is the period
// of renewals and, when not leader, of acquisition attempts, at most ttl/2. It does no I/O. On
// Redis Cluster key and its fencing counter (key + ":fence") must hash to one slot, so key must
// carry a hash tag; NewElection checks this for every client kind so that a key that would
// break on Cluster is refused everywhere. reg may be nil.
func NewElection(client redis.UniversalClient, key, holderID string, ttl, renewEvery time.Duration, log zerolog.Logger, reg prometheus.Registerer) (*Election, error) {
	if client == nil {
		return nil, errors.New("election: nil redis client")
	}
	if key == "" || holderID == "" {
		return nil, errors.New("election: lease key and holder id must not be empty")
	}
	if keySlot(key) != keySlot(counterKey(key)) {
		return nil, fmt.Errorf("election key %q: it and its fencing counter hash to different Cluster slots; give it a hash tag, e.g. transport.Keys.LeaderLease", key)
	}
	if err := validateTiming(ttl, renewEvery); err != nil {
		return nil, fmt.Errorf("election: %w", err)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("election metrics: %w", err)
	}
	m.init(kindGlobal)
	el := &Election{}
	el.e = &engine{
		client:     client,
		cluster:    isCluster(client),
		kind:       kindGlobal,
		holder:     holderID,
		ttl:        ttl,
		renewEvery: renewEvery,
		margin:     demoteMargin(ttl),
		keyOf:      func(string) string { return key },
		plan:       func([]string) map[string]bool { return map[string]bool{globalID: true} },
		hooks:      el,
		log:        log.With().Str("component", "leader").Str("holder", holderID).Logger(),
		m:          m,
		wake:       make(chan struct{}, 1),
		ended:      make(chan endEvent),
		view:       make(map[string]Fence),
	}
	return el, nil
}

// Run contends for the lease until ctx ends and runs lead during every term it wins. A term
// ends when the lease is lost (leaderCtx is cancelled; the loss is reported by the metrics and
// the log, not as an error) or when lead returns: with nil, the lease is released and the
// election contends again; with an error, the lease is released and Run returns that error.
// When ctx ends, Run cancels leaderCtx, keeps renewing until lead has returned, releases the
// lease and returns nil. Run returns only after every goroutine it started has exited. Redis
// errors never make Run return.
func (el *Election) Run(ctx context.Context, lead LeadFunc) error {
	if lead == nil {
		return errors.New("election: nil lead function")
	}
	if !el.running.CompareAndSwap(false, true) {
		return errors.New("election: Run is already running")
	}
	defer el.running.Store(false)
	el.lead = lead
	return el.e.run(ctx)
}

// IsLeader reports whether this process leads now (its lead function was started and its term
// has not ended).
func (el *Election) IsLeader() bool {
	_, ok := el.e.fence(globalID)
	return ok
}

// Token returns the fencing token of the current term, or 0 when not leader.
func (el *Election) Token() int64 {
	f, _ := el.e.fence(globalID)
	return f.Token
}

// Fence returns the fence of the current term, for fenced writes.
func (el *Election) Fence() (Fence, bool) { return el.e.fence(globalID) }

func (el *Election) start(ctx context.Context, id string, f Fence) {
	done := make(chan struct{})
	el.mu.Lock()
	el.done = done
	el.mu.Unlock()
	go func() {
		defer close(done)
		err := el.lead(ctx, f.Token)
		el.e.ended <- endEvent{id: id, fence: f, err: err}
	}()
}

func (el *Election) stop(string, Fence, LossReason) {
	el.mu.Lock()
	done := el.done
	el.mu.Unlock()
	<-done
}
