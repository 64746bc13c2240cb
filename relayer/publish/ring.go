package publish

import "github.com/shannon-ops/pocket-relay-miner/transport"

// ring is a FIFO of messages that grows lazily (doubling) up to a hard limit, so a large
// configured backlog costs memory only when it is used. Not safe for concurrent use.
type ring struct {
	buf   []transport.Message
	head  int // index of the oldest message
	n     int // number of queued messages
	limit int
}

const initialRing = 256

func newRing(limit int) ring { return ring{limit: limit} }

func (r *ring) len() int { return r.n }

// push appends m; the caller has checked that n < limit.
func (r *ring) push(m *transport.Message) {
	if r.n == len(r.buf) {
		r.grow()
	}
	r.buf[(r.head+r.n)%len(r.buf)] = *m
	r.n++
}

// pushFront puts msgs back before the oldest message, in their order; the caller has checked
// the limit.
func (r *ring) pushFront(msgs []transport.Message) {
	for len(r.buf)-r.n < len(msgs) {
		r.grow()
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		r.head = (r.head - 1 + len(r.buf)) % len(r.buf)
		r.buf[r.head] = msgs[i]
		r.n++
	}
}

// popFront removes the oldest message, clearing its slot so the ring holds no stale references.
func (r *ring) popFront() {
	r.buf[r.head] = transport.Message{}
	r.head = (r.head + 1) % len(r.buf)
	r.n--
}

// take moves up to max of the oldest messages to dst.
func (r *ring) take(dst []transport.Message, max int) []transport.Message {
	for ; max > 0 && r.n > 0; max-- {
		dst = append(dst, r.buf[r.head])
		r.popFront()
	}
	return dst
}

func (r *ring) grow() {
	size := max(initialRing, 2*len(r.buf))
	size = min(size, r.limit)
	if size <= len(r.buf) {
		size = len(r.buf) + 1 // never reached when callers respect limit
	}
	nb := make([]transport.Message, size)
	for i := range r.n {
		nb[i] = r.buf[(r.head+i)%len(r.buf)]
	}
	r.buf, r.head = nb, 0
}
