package miner

import "sync"

// Gate is the lifecycle's SessionGate: it refuses relays of sealed sessions, and records the
// sessions it sees so the lifecycle learns of them. One Gate serves every supplier of a
// replica. Accept is one map lookup under a mutex.
type Gate struct {
	mu     sync.Mutex
	sealed map[gateKey]struct{}
	known  map[gateKey]struct{}
	fresh  map[string][]SessionHeader // supplier → sessions seen since the last drain
}

type gateKey struct{ supplier, session string }

// NewGate returns an empty Gate.
func NewGate() *Gate {
	return &Gate{sealed: map[gateKey]struct{}{}, known: map[gateKey]struct{}{}, fresh: map[string][]SessionHeader{}}
}

var _ SessionGate = (*Gate)(nil)

// Accept reports false once the session's tree is sealed for claiming; such relays are late.
func (g *Gate) Accept(h SessionHeader) bool {
	k := gateKey{h.Supplier, h.SessionID}
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.sealed[k]; ok {
		return false
	}
	if _, ok := g.known[k]; !ok {
		g.known[k] = struct{}{}
		g.fresh[h.Supplier] = append(g.fresh[h.Supplier], h)
	}
	return true
}

// Close refuses h's session from now on (Consumer.Seal).
func (g *Gate) Close(h SessionHeader) { g.seal(h.Supplier, h.SessionID) }

// seal refuses the session's relays from now on.
func (g *Gate) seal(supplier, session string) {
	g.mu.Lock()
	g.sealed[gateKey{supplier, session}] = struct{}{}
	g.known[gateKey{supplier, session}] = struct{}{}
	g.mu.Unlock()
}

// track records a session loaded from the store, sealed or not.
func (g *Gate) track(supplier, session string, sealed bool) {
	if sealed {
		g.seal(supplier, session)
		return
	}
	g.mu.Lock()
	g.known[gateKey{supplier, session}] = struct{}{}
	g.mu.Unlock()
}

// drain returns the sessions of supplier first seen since the last drain.
func (g *Gate) drain(supplier string) []SessionHeader {
	g.mu.Lock()
	defer g.mu.Unlock()
	hs := g.fresh[supplier]
	delete(g.fresh, supplier)
	return hs
}

// peek returns the sessions of supplier first seen since the last drain, leaving them to drain.
func (g *Gate) peek(supplier string) []SessionHeader {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]SessionHeader(nil), g.fresh[supplier]...)
}

// forget drops a finished session. Call it only once no relayer can still send relays for it
// (well after its grace period), or a stray relay would register the session again.
func (g *Gate) forget(supplier, session string) {
	g.mu.Lock()
	delete(g.known, gateKey{supplier, session})
	delete(g.sealed, gateKey{supplier, session})
	g.mu.Unlock()
}

// forgetSupplier drops everything of a supplier this replica no longer mines.
func (g *Gate) forgetSupplier(supplier string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for k := range g.known {
		if k.supplier == supplier {
			delete(g.known, k)
		}
	}
	for k := range g.sealed {
		if k.supplier == supplier {
			delete(g.sealed, k)
		}
	}
	delete(g.fresh, supplier)
}
