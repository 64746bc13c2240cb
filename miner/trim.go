package miner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/leader"
	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// streamID is a parsed Redis stream entry id, <ms>-<seq>.
type streamID struct{ ms, seq uint64 }

// parseStreamID parses "<ms>-<seq>" (a bare "<ms>" means seq 0, as Redis reads it).
func parseStreamID(s string) (streamID, bool) {
	ms, seq, found := strings.Cut(s, "-")
	a, err := strconv.ParseUint(ms, 10, 64)
	if err != nil {
		return streamID{}, false
	}
	var b uint64
	if found {
		if b, err = strconv.ParseUint(seq, 10, 64); err != nil {
			return streamID{}, false
		}
	}
	return streamID{a, b}, true
}

func (a streamID) less(b streamID) bool { return a.ms < b.ms || (a.ms == b.ms && a.seq < b.seq) }

// next returns the smallest id greater than a.
func (a streamID) next() streamID {
	if a.seq == math.MaxUint64 {
		return streamID{a.ms + 1, 0}
	}
	return streamID{a.ms, a.seq + 1}
}

func (a streamID) String() string {
	return strconv.FormatUint(a.ms, 10) + "-" + strconv.FormatUint(a.seq, 10)
}

// trimSession is what the trimmer needs to know of one session the supplier's miner has seen.
type trimSession struct {
	ID string
	// Sealed: the session takes no more relays, so its tree's first stream id no longer moves.
	Sealed bool
	// Done: the session is final and its tree deleted; its entries are no longer needed.
	Done bool
	// TreeDeleted: the tree (and its first stream id) is gone, though the session may not be
	// final yet.
	TreeDeleted bool
}

// streamTrimmer trims one supplier's relay stream (XTRIM MINID, exact) below the smallest
// stream id still needed. That floor is the minimum of:
//
//   - the group's last-delivered-id + 1: entries never read are kept;
//   - the smallest pending (read, unacknowledged) id of the group (XPENDING summary): entries a
//     consumer, dead or alive, still has to apply are kept;
//   - the first stream id (TreeMeta field "first", committed with the XACK of its entry) of
//     every session that is not yet done (final with its tree deleted).
//
// The group state is read before the sessions and their firsts, so an entry acknowledged in
// between is already counted in its tree's first, and an entry read in between was still
// unread (above the first bound) when the group was read. A session that is not done, whose
// tree is gone and whose first was not learnt while the tree existed (only after a takeover,
// for a proved or proof-not-required session until it settles) makes the floor unknown: the
// round trims nothing. Relays whose entries were acknowledged without being inserted
// (rejected) belong to no tree and are not kept.
//
// Exact MINID, not "~": the trim runs once per block, and an exact trim makes the kept range
// exactly the one described here, which is what the tests and redis-debug check; the cost is
// at most one radix-tree node split per trim.
//
// The XTRIM runs in a transaction fenced by the supplier's lease (leader.Fence.Tx), so only the
// lease holder trims. A trimmer is used by one goroutine (the supplier's block loop).
type streamTrimmer struct {
	rdb      redis.UniversalClient
	keys     transport.Keys
	supplier string
	stream   string
	fence    leader.Fence
	sessions func() []trimSession
	trimmed  prometheus.Counter
	log      zerolog.Logger

	firsts map[string]string // first stream id of sealed sessions, which no longer moves
	last   int64             // height of the latest trim
}

func newStreamTrimmer(rdb redis.UniversalClient, keys transport.Keys, supplier string, fence leader.Fence,
	sessions func() []trimSession, trimmed prometheus.Counter, log zerolog.Logger) *streamTrimmer {
	return &streamTrimmer{rdb: rdb, keys: keys, supplier: supplier, stream: keys.RelayStream(supplier), fence: fence,
		sessions: sessions, trimmed: trimmed, log: log, firsts: map[string]string{}, last: math.MinInt64}
}

// onBlock trims once per height: a repeated or older height does nothing.
func (tr *streamTrimmer) onBlock(ctx context.Context, height int64) (int64, error) {
	if height <= tr.last {
		return 0, nil
	}
	tr.last = height
	return tr.trim(ctx)
}

// trim computes the floor and trims the stream below it; it returns the entries removed.
func (tr *streamTrimmer) trim(ctx context.Context) (int64, error) {
	floor, ok, err := tr.groupFloor(ctx)
	if err != nil || !ok {
		return 0, err
	}
	sess := tr.sessions()
	var ask []trimSession
	live := make(map[string]struct{}, len(sess))
	for _, s := range sess {
		if s.Done {
			continue
		}
		live[s.ID] = struct{}{}
		if f, ok := tr.firsts[s.ID]; ok {
			if id, ok := parseStreamID(f); ok && id.less(floor) {
				floor = id
			}
			continue
		}
		ask = append(ask, s)
	}
	for id := range tr.firsts {
		if _, ok := live[id]; !ok {
			delete(tr.firsts, id)
		}
	}
	if len(ask) > 0 {
		cmds := make([]*redis.StringCmd, len(ask))
		_, err := tr.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, s := range ask {
				cmds[i] = p.HGet(ctx, tr.keys.TreeMeta(tr.supplier, s.ID), metaFirst)
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return 0, fmt.Errorf("trim %s: read first stream ids: %w", tr.stream, err)
		}
		for i, s := range ask {
			f, err := cmds[i].Result()
			switch {
			case errors.Is(err, redis.Nil) && s.TreeDeleted:
				tr.log.Debug().Str("session", s.ID).Msg("first stream id of a live session unknown; stream not trimmed")
				return 0, nil
			case errors.Is(err, redis.Nil):
				continue // nothing of the session committed yet: its entries are pending or unread
			case err != nil:
				return 0, fmt.Errorf("trim %s: read first stream id of %s: %w", tr.stream, s.ID, err)
			}
			id, ok := parseStreamID(f)
			if !ok {
				return 0, fmt.Errorf("trim %s: session %s: bad first stream id %q", tr.stream, s.ID, f)
			}
			if s.Sealed {
				tr.firsts[s.ID] = f
			}
			if id.less(floor) {
				floor = id
			}
		}
	}
	var cmd *redis.IntCmd
	err = tr.fence.Tx(ctx, tr.rdb, func(p redis.Pipeliner) error {
		cmd = p.XTrimMinID(ctx, tr.stream, floor.String())
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("trim %s below %s: %w", tr.stream, floor, err)
	}
	n := cmd.Val()
	if n > 0 {
		tr.trimmed.Add(float64(n))
	}
	return n, nil
}

// groupFloor returns min(last-delivered-id + 1, smallest pending id) of the miners' group; ok is
// false when the stream or the group does not exist yet (nothing to trim).
func (tr *streamTrimmer) groupFloor(ctx context.Context) (streamID, bool, error) {
	groups, err := tr.rdb.XInfoGroups(ctx, tr.stream).Result()
	if err != nil {
		if strings.Contains(err.Error(), "no such key") {
			return streamID{}, false, nil
		}
		return streamID{}, false, fmt.Errorf("trim %s: groups: %w", tr.stream, err)
	}
	var floor streamID
	found := false
	for _, g := range groups {
		if g.Name != transport.ConsumerGroup {
			continue
		}
		last, ok := parseStreamID(g.LastDeliveredID)
		if !ok {
			return streamID{}, false, fmt.Errorf("trim %s: bad last-delivered-id %q", tr.stream, g.LastDeliveredID)
		}
		floor, found = last.next(), true
	}
	if !found {
		return streamID{}, false, nil
	}
	pend, err := tr.rdb.XPending(ctx, tr.stream, transport.ConsumerGroup).Result()
	if err != nil {
		return streamID{}, false, fmt.Errorf("trim %s: pending: %w", tr.stream, err)
	}
	if pend.Count > 0 {
		low, ok := parseStreamID(pend.Lower)
		if !ok {
			return streamID{}, false, fmt.Errorf("trim %s: bad smallest pending id %q", tr.stream, pend.Lower)
		}
		if low.less(floor) {
			floor = low
		}
	}
	return floor, true, nil
}

// trimSessions lists the sessions of r's supplier for the trimmer: every session the lifecycle
// tracks, and those the gate saw since the lifecycle last drained it (not yet tracked).
func (r *Runner) trimSessions() []trimSession {
	out := make([]trimSession, 0, len(r.recs))
	for id, rec := range r.recs {
		s := rec.Session
		// Root is set once the consumer handed the tree over (Consumer.Seal waited for any batch
		// in progress): no relay of the session is committed after that.
		out = append(out, trimSession{ID: id, Sealed: s.Root != nil, Done: s.Final() && s.TreeDeleted, TreeDeleted: s.TreeDeleted})
	}
	for _, h := range r.gate.peek(r.cfg.Supplier) {
		if _, ok := r.recs[h.SessionID]; !ok {
			out = append(out, trimSession{ID: h.SessionID})
		}
	}
	return out
}
