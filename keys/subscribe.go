package keys

import "sync"

// subscription is one consumer's change signal.
type subscription struct {
	ch   chan struct{}
	once sync.Once
}

// Subscribe returns a channel that receives a value after a reload changed the keys (an address
// was added or removed, or a key was replaced). The channel has capacity 1 and is never written
// blockingly: several changes before the consumer reads coalesce into one signal, so the consumer
// must read the current state with Addresses or Get rather than count signals. cancel removes the
// subscription and closes the channel; it may be called more than once.
func (m *Manager) Subscribe() (changes <-chan struct{}, cancel func()) {
	s := &subscription{ch: make(chan struct{}, 1)}
	m.subsMu.Lock()
	m.subs[s] = struct{}{}
	m.subsMu.Unlock()
	return s.ch, func() {
		s.once.Do(func() {
			m.subsMu.Lock()
			delete(m.subs, s)
			close(s.ch)
			m.subsMu.Unlock()
		})
	}
}

// notify signals every subscriber without blocking.
func (m *Manager) notify() {
	m.subsMu.Lock()
	defer m.subsMu.Unlock()
	for s := range m.subs {
		select {
		case s.ch <- struct{}{}:
		default: // a signal is already pending
		}
	}
}
