package transport

import (
	"context"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Publisher appends relay messages to their supplier's stream (Keys.RelayStream) with XADD.
// It never trims and never sets a TTL: a live stream, its consumer group and its pending list
// must outlive every session they carry; the miner trims by MINID once sessions are settled.
// A Publisher is safe for concurrent use.
type Publisher struct {
	rdb  redis.UniversalClient
	keys Keys
	bufs sync.Pool // *[]byte encode buffers
}

// NewPublisher returns a Publisher writing through rdb into the streams named by keys. It does no
// I/O.
func NewPublisher(rdb redis.UniversalClient, keys Keys) *Publisher {
	return &Publisher{rdb: rdb, keys: keys}
}

// maxPooledBuf is the largest encode buffer kept for reuse; larger ones are left to the GC.
const maxPooledBuf = 64 << 10

// Publish XADDs one message to the stream of m.Supplier.
func (p *Publisher) Publish(ctx context.Context, m *Message) error {
	bp := p.getBuf()
	defer p.putBuf(bp)
	b, err := m.AppendEncode((*bp)[:0])
	if err != nil {
		return err
	}
	*bp = b
	stream := p.keys.RelayStream(m.Supplier)
	if err := p.rdb.XAdd(ctx, newXAddArgs(stream, b)).Err(); err != nil {
		return fmt.Errorf("xadd %s: %w", stream, err)
	}
	return nil
}

// PublishBatch XADDs every message of msgs in one pipeline (one round trip per Redis node). It
// returns the messages that were not added, moved to the front of msgs (the returned slice
// shares msgs' array), and the first error. A message that cannot be encoded is not returned
// for retry: it can never succeed, so it is reported in the error and left out. A caller that
// retries the returned messages until they are gone has published each message at least once;
// the miner keys leaves by relay hash, so a message added twice is counted once.
func (p *Publisher) PublishBatch(ctx context.Context, msgs []Message) ([]Message, error) {
	if len(msgs) == 0 {
		return msgs[:0], nil
	}
	bp := p.getBuf()
	defer p.putBuf(bp)
	buf := (*bp)[:0]
	// Encode all messages into one buffer first; its array must not move while the pipeline
	// holds slices of it, so the buffer is sized up front.
	total := 0
	for i := range msgs {
		total += msgs[i].EncodedLen()
	}
	if cap(buf) < total {
		buf = make([]byte, 0, total)
	}
	var encErr error
	pipe := p.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(msgs))
	for i := range msgs {
		start := len(buf)
		b, err := msgs[i].AppendEncode(buf)
		if err != nil {
			if encErr == nil {
				encErr = err
			}
			continue
		}
		buf = b
		cmds[i] = pipe.XAdd(ctx, newXAddArgs(p.keys.RelayStream(msgs[i].Supplier), buf[start:len(buf):len(buf)]))
	}
	_, execErr := pipe.Exec(ctx)
	if total <= maxPooledBuf {
		*bp = buf[:0]
	}
	failed := 0
	var firstErr error
	for i, c := range cmds {
		if c == nil {
			continue // unencodable: dropped, reported in encErr
		}
		if err := c.Err(); err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("xadd %s: %w", p.keys.RelayStream(msgs[i].Supplier), err)
			}
			msgs[failed] = msgs[i]
			failed++
		}
	}
	if firstErr == nil && execErr != nil && failed > 0 {
		firstErr = fmt.Errorf("xadd pipeline: %w", execErr)
	}
	if encErr != nil {
		if firstErr == nil {
			firstErr = encErr
		} else {
			firstErr = fmt.Errorf("%w; %w", firstErr, encErr)
		}
	}
	return msgs[:failed], firstErr
}

func newXAddArgs(stream string, b []byte) *redis.XAddArgs {
	return &redis.XAddArgs{Stream: stream, ID: "*", Values: []any{MessageField, b}}
}

func (p *Publisher) getBuf() *[]byte {
	if bp, ok := p.bufs.Get().(*[]byte); ok {
		return bp
	}
	b := make([]byte, 0, 2048)
	return &b
}

func (p *Publisher) putBuf(bp *[]byte) {
	if cap(*bp) > maxPooledBuf {
		return
	}
	p.bufs.Put(bp)
}
