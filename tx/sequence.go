package tx

import (
	"context"
	"fmt"
	"sync"
)

// account is the local view of one signer's account number and next sequence. Its mutex is
// held from choosing a sequence until the node's CheckTx answered, so txs of one signer reach
// the mempool in sequence order and several can be sent per block.
type account struct {
	mu       sync.Mutex
	known    bool // false: fetch number and sequence from the chain before the next tx
	number   uint64
	sequence uint64
}

// accounts holds one account per signer address.
type accounts struct {
	q  AccountQuerier
	mu sync.Mutex
	m  map[string]*account
}

func newAccounts(q AccountQuerier) *accounts {
	return &accounts{q: q, m: make(map[string]*account)}
}

// get returns the signer's account, creating it (unknown) on first use.
func (a *accounts) get(addr string) *account {
	a.mu.Lock()
	defer a.mu.Unlock()
	acc, ok := a.m[addr]
	if !ok {
		acc = &account{}
		a.m[addr] = acc
	}
	return acc
}

// ensure fetches number and sequence when they are not known. The caller holds acc.mu.
func (a *accounts) ensure(ctx context.Context, addr string, acc *account) error {
	if acc.known {
		return nil
	}
	r, err := a.q.Account(ctx, addr)
	if err != nil {
		return fmt.Errorf("account %s: %w", addr, err)
	}
	acc.number, acc.sequence, acc.known = r.AccountNumber, r.Sequence, true
	return nil
}

// resync adopts the sequence the chain said it expects, or forgets the account so the next
// tx fetches it. The caller holds acc.mu.
func (acc *account) resync(log string) {
	if seq, ok := expectedSequence(log); ok && acc.known {
		acc.sequence = seq
		return
	}
	acc.known = false
}

// forget makes the next tx of this signer fetch its sequence from the chain. Used when a tx
// that consumed a local sequence may never land.
func (acc *account) forget() {
	acc.mu.Lock()
	acc.known = false
	acc.mu.Unlock()
}
