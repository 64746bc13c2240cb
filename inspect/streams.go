package inspect

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// Stream is one supplier's relay stream with its consumer groups.
type Stream struct {
	Supplier    string        `json:"supplier"`
	Key         string        `json:"key"`
	Length      int64         `json:"length"`
	FirstID     string        `json:"first_id"`
	LastID      string        `json:"last_id"`
	LastSession string        `json:"last_session"` // session of the newest entry (DecodeEntry)
	LastError   string        `json:"last_error,omitempty"`
	Groups      []StreamGroup `json:"groups"`
}

// StreamGroup is one consumer group of a stream.
type StreamGroup struct {
	Name            string           `json:"name"`
	LastDeliveredID string           `json:"last_delivered_id"`
	EntriesRead     int64            `json:"entries_read"`
	Lag             int64            `json:"lag"` // entries not yet delivered to the group
	Pending         int64            `json:"pending"`
	PendingLowest   string           `json:"pending_lowest"`
	PendingHighest  string           `json:"pending_highest"`
	Consumers       []StreamConsumer `json:"consumers"`
}

// StreamConsumer is one consumer of a group.
type StreamConsumer struct {
	Name     string `json:"name"`
	Pending  int64  `json:"pending"`
	IdleMs   int64  `json:"idle_ms"`
	Inactive int64  `json:"inactive_ms"`
}

// Streams is the answer of Streams.
type Streams struct {
	Streams []Stream `json:"streams"`
}

// Streams describes the relay stream of supplier (every supplier's when empty): XINFO STREAM,
// XINFO GROUPS, XINFO CONSUMERS and the XPENDING summary of each group.
func (in *Inspector) Streams(ctx context.Context, supplier string) (*Streams, error) {
	ops := []string{supplier}
	if supplier == "" {
		var err error
		if ops, err = in.suppliersWith(ctx, in.keys.RelayStream); err != nil {
			return nil, err
		}
	}
	out := &Streams{Streams: []Stream{}}
	for _, op := range ops {
		s, err := in.stream(ctx, op)
		if err != nil {
			return nil, err
		}
		if s != nil {
			out.Streams = append(out.Streams, *s)
		}
	}
	return out, nil
}

func (in *Inspector) stream(ctx context.Context, op string) (*Stream, error) {
	key := in.keys.RelayStream(op)
	info, err := in.rdb.XInfoStream(ctx, key).Result()
	if err != nil {
		if isNoSuchKey(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("xinfo stream %s: %w", key, err)
	}
	s := &Stream{Supplier: op, Key: key, Length: info.Length, FirstID: info.FirstEntry.ID,
		LastID: info.LastEntry.ID, Groups: []StreamGroup{}}
	if info.LastEntry.ID != "" {
		if m, err := transport.DecodeEntry(info.LastEntry); err != nil {
			s.LastError = err.Error()
		} else {
			s.LastSession = m.SessionID
		}
	}
	groups, err := in.rdb.XInfoGroups(ctx, key).Result()
	if err != nil {
		return nil, fmt.Errorf("xinfo groups %s: %w", key, err)
	}
	for _, g := range groups {
		sg, err := in.group(ctx, key, g)
		if err != nil {
			return nil, err
		}
		s.Groups = append(s.Groups, sg)
	}
	return s, nil
}

func (in *Inspector) group(ctx context.Context, key string, g redis.XInfoGroup) (StreamGroup, error) {
	sg := StreamGroup{Name: g.Name, LastDeliveredID: g.LastDeliveredID, EntriesRead: g.EntriesRead,
		Lag: g.Lag, Pending: g.Pending, Consumers: []StreamConsumer{}}
	cs, err := in.rdb.XInfoConsumers(ctx, key, g.Name).Result()
	if err != nil {
		return sg, fmt.Errorf("xinfo consumers %s %s: %w", key, g.Name, err)
	}
	for _, c := range cs {
		sg.Consumers = append(sg.Consumers, StreamConsumer{Name: c.Name, Pending: c.Pending,
			IdleMs: c.Idle.Milliseconds(), Inactive: c.Inactive.Milliseconds()})
	}
	p, err := in.rdb.XPending(ctx, key, g.Name).Result()
	if err != nil {
		return sg, fmt.Errorf("xpending %s %s: %w", key, g.Name, err)
	}
	sg.Pending, sg.PendingLowest, sg.PendingHighest = p.Count, p.Lower, p.Higher
	return sg, nil
}

func isNoSuchKey(err error) bool {
	return err != nil && (err == redis.Nil || err.Error() == "ERR no such key")
}
