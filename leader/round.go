package leader

import (
	"context"
	"time"
)

// roundIn is what one round does, in this order: renew, heartbeat, release, acquire.
type roundIn struct {
	renew   []Fence
	beat    int // 0 none, 1 heartbeat, -1 leave the replica set
	release []Fence
	acquire []string // ids
}

type acquiredLease struct {
	id    string
	fence Fence
	sent  time.Time // the lease expires no earlier than sent + ttl
}

type roundOut struct {
	renewSent time.Time
	renewed   map[string]int // Fence.Value → 1 renewed, 0 expired, -1 stolen; absent on error
	live      []string
	liveOK    bool
	acquired  []acquiredLease
	attempted map[string]bool // ids this round tried to acquire
}

// startRound snapshots what to do and runs it on its own goroutine; run waits for it.
func (e *engine) startRound(l *loop) {
	in := roundIn{release: l.release}
	l.release = nil
	for _, h := range l.holdings {
		if h.state != lost {
			in.renew = append(in.renew, h.fence)
		}
	}
	if e.members != "" {
		in.beat = 1
		if l.shutting {
			in.beat = -1
		}
	}
	if !l.shutting {
		for id := range l.desired {
			if l.holdings[id] == nil {
				in.acquire = append(in.acquire, id)
			}
		}
	}
	if len(in.renew) == 0 && in.beat == 0 && len(in.release) == 0 && len(in.acquire) == 0 {
		return
	}
	l.inflight = true
	go func() {
		ctx, cancel := context.WithTimeout(l.base, e.ttl)
		defer cancel()
		out := e.round(ctx, in)
		out.attempted = make(map[string]bool, len(in.acquire))
		for _, id := range in.acquire {
			out.attempted[id] = true
		}
		l.roundDone <- out
	}()
}

// round performs the Redis I/O of one round. It never fails as a whole: what did not succeed
// is simply absent from the result, and the deadlines in run decide what that means.
func (e *engine) round(ctx context.Context, in roundIn) roundOut {
	var out roundOut
	if len(in.renew) > 0 {
		out.renewSent = time.Now()
		out.renewed = e.renewAll(ctx, in.renew)
		e.m.renewDur.WithLabelValues(e.kind).Observe(time.Since(out.renewSent).Seconds())
	}
	if in.beat != 0 {
		out.live, out.liveOK = e.heartbeat(ctx, in.beat > 0)
	}
	if len(in.release) > 0 {
		e.releaseAll(ctx, in.release)
	}
	if len(in.acquire) > 0 {
		out.acquired = e.acquireAll(ctx, in.acquire)
	}
	return out
}

// renewAll extends every lease in one script per slot group: on standalone and Sentinel that is
// a single EVALSHA; on Cluster one per slot, all sent in one pipeline.
func (e *engine) renewAll(ctx context.Context, fences []Fence) map[string]int {
	groups := groupBySlot(fences, e.cluster)
	calls := make([]scriptCall, len(groups))
	ttl := e.ttl.Milliseconds()
	for i, g := range groups {
		c := scriptCall{keys: make([]string, len(g)), args: make([]any, 0, len(g)+1)}
		c.args = append(c.args, ttl)
		for j, f := range g {
			c.keys[j] = f.Key
			c.args = append(c.args, f.Value)
		}
		calls[i] = c
	}
	out := make(map[string]int, len(fences))
	for i, cmd := range evalPipelined(ctx, e.client, renewScript, calls) {
		st, err := cmd.Int64Slice()
		if err == nil && len(st) != len(groups[i]) {
			err = errShortReply
		}
		if err != nil {
			e.m.renewErr.WithLabelValues(e.kind).Inc()
			e.log.Warn().Err(err).Int("leases", len(groups[i])).Msg("renew leases")
			continue
		}
		for j, f := range groups[i] {
			out[f.Value] = int(st[j])
		}
	}
	return out
}

func (e *engine) releaseAll(ctx context.Context, fences []Fence) {
	groups := groupBySlot(fences, e.cluster)
	calls := make([]scriptCall, len(groups))
	for i, g := range groups {
		c := scriptCall{keys: make([]string, len(g)), args: make([]any, len(g))}
		for j, f := range g {
			c.keys[j], c.args[j] = f.Key, f.Value
		}
		calls[i] = c
	}
	for i, cmd := range evalPipelined(ctx, e.client, releaseScript, calls) {
		if err := cmd.Err(); err != nil {
			// Best effort: an unreleased lease expires after its ttl.
			e.log.Debug().Err(err).Int("leases", len(groups[i])).Msg("release leases")
		}
	}
}

func (e *engine) acquireAll(ctx context.Context, ids []string) []acquiredLease {
	calls := make([]scriptCall, len(ids))
	ttl := e.ttl.Milliseconds()
	for i, id := range ids {
		k := e.keyOf(id)
		calls[i] = scriptCall{keys: []string{k, counterKey(k)}, args: []any{e.holder, ttl}}
	}
	sent := time.Now()
	var out []acquiredLease
	for i, cmd := range evalPipelined(ctx, e.client, acquireScript, calls) {
		tok, err := cmd.Int64()
		if err != nil {
			e.log.Debug().Err(err).Str("lease", calls[i].keys[0]).Msg("acquire lease")
			continue
		}
		if tok > 0 {
			out = append(out, acquiredLease{id: ids[i], fence: newFence(calls[i].keys[0], e.holder, tok), sent: sent})
		}
	}
	return out
}

// heartbeat records this replica as live (or withdraws it) and returns the live replicas.
func (e *engine) heartbeat(ctx context.Context, beat bool) ([]string, bool) {
	flag := "0"
	if beat {
		flag = "1"
	}
	live, err := heartbeatScript.Run(ctx, e.client, []string{e.members}, e.holder, e.ttl.Milliseconds(), flag).StringSlice()
	if err != nil {
		e.log.Warn().Err(err).Msg("replica heartbeat")
		return nil, false
	}
	return live, true
}

// finish gives back what is left when run ends: leases whose work has stopped and this
// replica's place in the replica set. Best effort, bounded by one ttl.
func (e *engine) finish(l *loop) {
	if len(l.release) == 0 && e.members == "" {
		return
	}
	ctx, cancel := context.WithTimeout(l.base, e.ttl)
	defer cancel()
	if len(l.release) > 0 {
		e.releaseAll(ctx, l.release)
		l.release = nil
	}
	if e.members != "" {
		e.heartbeat(ctx, false)
	}
}
