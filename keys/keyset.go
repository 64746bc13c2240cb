package keys

import (
	"bytes"
	"fmt"
	"slices"
)

// keySet is one immutable snapshot of the loaded keys. The Manager publishes it through an
// atomic pointer; nothing modifies a keySet after it is published.
type keySet struct {
	byAddr map[string]*Signer
	addrs  []string // sorted
}

// keySetBuilder merges the keys of all sources, by operator address.
type keySetBuilder struct {
	byAddr map[string]*Signer
	origin map[string]string // address → first source that held it, for error messages
	prev   *keySet           // signers of the previous snapshot are reused when unchanged
}

func newKeySetBuilder(prev *keySet) *keySetBuilder {
	return &keySetBuilder{byAddr: map[string]*Signer{}, origin: map[string]string{}, prev: prev}
}

// add adds one key found at origin (a file, "file entry", or keyring key name). The same key
// from several origins is fine. raw is cleared before add returns.
func (b *keySetBuilder) add(raw *[32]byte, origin string) error {
	defer clear(raw[:])
	s, err := newSigner(raw)
	if err != nil {
		return err
	}
	if have, ok := b.byAddr[s.addr]; ok {
		if !bytes.Equal(have.pub.Key, s.pub.Key) {
			// Two different public keys hashing to one address: only a broken input gets here.
			return fmt.Errorf("address %s of %s is also the address of a different key in %s",
				s.addr, origin, b.origin[s.addr])
		}
		return nil
	}
	if b.prev != nil {
		if old, ok := b.prev.byAddr[s.addr]; ok && bytes.Equal(old.pub.Key, s.pub.Key) {
			s = old
		}
	}
	b.byAddr[s.addr] = s
	b.origin[s.addr] = origin
	return nil
}

func (b *keySetBuilder) build() *keySet {
	addrs := make([]string, 0, len(b.byAddr))
	for a := range b.byAddr {
		addrs = append(addrs, a)
	}
	slices.Sort(addrs)
	return &keySet{byAddr: b.byAddr, addrs: addrs}
}

// diff returns the addresses in next but not in prev (added) and in prev but not next (removed),
// both sorted. A nil prev is the empty set.
func diff(prev, next *keySet) (added, removed []string) {
	for _, a := range next.addrs {
		if prev == nil || prev.byAddr[a] == nil {
			added = append(added, a)
		}
	}
	if prev != nil {
		for _, a := range prev.addrs {
			if next.byAddr[a] == nil {
				removed = append(removed, a)
			}
		}
	}
	return added, removed
}
