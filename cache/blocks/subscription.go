package blocks

import (
	"context"
	"sync"
)

// DefaultQueue is the queue length of an every-height subscription.
const DefaultQueue = 64

// SubscribeOptions choose how a subscriber that falls behind is treated.
type SubscribeOptions struct {
	// Every asks for every height in order. The subscription then queues up to Queue blocks;
	// when the queue is full the oldest queued block is dropped (counted in Dropped and in
	// relayminer_block_subscriber_dropped_total), so a stalled consumer never holds the feed
	// and still ends at the newest block. Without Every the subscription holds only the
	// newest block (capacity 1): a slow consumer skips intermediate heights and always reads
	// the latest one.
	Every bool
	// Queue is the queue length for Every; default DefaultQueue.
	Queue int
}

// Subscription is one consumer's view of the feed. Next is for one goroutine.
type Subscription struct {
	feed  *Feed
	every bool
	size  int

	mu      sync.Mutex
	queue   []Block // every: pending blocks, oldest first; latest-only: at most one
	dropped uint64
	closed  bool
	signal  chan struct{} // capacity 1: "there is something to read"
}

// Next returns the next block for this subscriber, waiting for one. It fails only when ctx
// ends or the subscription is closed.
func (s *Subscription) Next(ctx context.Context) (Block, error) {
	for {
		s.mu.Lock()
		if len(s.queue) > 0 {
			b := s.queue[0]
			s.queue = s.queue[1:]
			s.mu.Unlock()
			return b, nil
		}
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return Block{}, ErrClosed
		}
		select {
		case <-ctx.Done():
			return Block{}, ctx.Err()
		case <-s.signal:
		}
	}
}

// Dropped returns how many blocks this subscriber lost: coalesced heights for a latest-only
// subscription, queue overflow for an every-height one.
func (s *Subscription) Dropped() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// Close detaches the subscription from the feed; a pending Next returns ErrClosed.
func (s *Subscription) Close() {
	s.feed.unsubscribe(s)
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.wake()
}

// deliver hands b to the subscriber without ever blocking; it reports whether a block was
// dropped to make room.
func (s *Subscription) deliver(b Block) (dropped bool) {
	s.mu.Lock()
	switch {
	case !s.every:
		if len(s.queue) > 0 {
			s.queue[0] = b
			dropped = true
		} else {
			s.queue = append(s.queue[:0], b)
		}
	case len(s.queue) >= s.size:
		copy(s.queue, s.queue[1:])
		s.queue[len(s.queue)-1] = b
		dropped = true
	default:
		s.queue = append(s.queue, b)
	}
	if dropped {
		s.dropped++
	}
	s.mu.Unlock()
	s.wake()
	return dropped
}

func (s *Subscription) wake() {
	select {
	case s.signal <- struct{}{}:
	default:
	}
}
