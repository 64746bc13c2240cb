package ring

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// ErrBadPublicKey is returned (wrapped) by PrepareRing for a key that is not a
// 33-byte compressed secp256k1 point, and by NewSigner for a bad private key.
var ErrBadPublicKey = errors.New("not a 33-byte compressed secp256k1 public key")

// ErrEmptyRing is returned by PrepareRing when no keys are given.
var ErrEmptyRing = errors.New("ring has no members")

// linearScanMax is the ring size up to which member lookup scans the member
// list instead of using the map (rings are usually 2–8 members).
const linearScanMax = 16

// RingID identifies a set of member keys: SHA-256 over the sorted, distinct
// 33-byte compressed keys. Rings with the same members in any order and with
// any repetition share one ID (and one cache entry).
type RingID [32]byte

// Ring is an application's expected ring, with everything verification needs
// about its members precomputed. A Ring is immutable apart from its key-image
// cache and safe for concurrent use. Obtain one from Verifier.PrepareRing.
type Ring struct {
	id      RingID
	members []member // sorted by key, distinct
	index   map[encodedPoint]int

	// images caches, per signer seen in a valid signature, the decoded key
	// image and (from the second valid signature on) its comb table. At most
	// len(members) entries: a valid signature's key image is x·H_p(P) for the
	// signing member's own key, so there are no more distinct valid images
	// than members. Entries are only added after a signature verified.
	images  atomic.Pointer[[]*imageEntry]
	imageMu sync.Mutex // serializes writers of images
}

type member struct {
	key   encodedPoint
	point affinePoint
	hash  affinePoint // H_p(P)
	pComb *combTable  // comb of P
	hComb *combTable  // comb of H_p(P)
}

type imageEntry struct {
	key   encodedPoint
	point affinePoint
	comb  atomic.Pointer[combTable] // nil until the image is seen twice
}

// ID returns the ring's identity (a hash of its sorted distinct member keys).
func (r *Ring) ID() RingID { return r.id }

// Size returns the number of distinct members.
func (r *Ring) Size() int { return len(r.members) }

// Members returns copies of the members' 33-byte compressed keys, sorted
// bytewise. This is also the member order the Signer writes.
func (r *Ring) Members() [][]byte {
	out := make([][]byte, len(r.members))
	for i := range r.members {
		out[i] = bytes.Clone(r.members[i].key[:])
	}
	return out
}

// Contains reports whether pubKey (33-byte compressed) is a member.
func (r *Ring) Contains(pubKey []byte) bool {
	if len(pubKey) != pointLen {
		return false
	}
	return r.lookup((*encodedPoint)(pubKey)) >= 0
}

// lookup returns the member index of key, or −1.
func (r *Ring) lookup(key *encodedPoint) int {
	if r.index != nil {
		if i, ok := r.index[*key]; ok {
			return i
		}
		return -1
	}
	for i := range r.members {
		if r.members[i].key == *key {
			return i
		}
	}
	return -1
}

// ringKeys validates, sorts and de-duplicates the keys and derives the RingID.
func ringKeys(pubKeys [][]byte) ([]encodedPoint, RingID, error) {
	if len(pubKeys) == 0 {
		return nil, RingID{}, ErrEmptyRing
	}
	keys := make([]encodedPoint, 0, len(pubKeys))
	for i, k := range pubKeys {
		if len(k) != pointLen {
			return nil, RingID{}, fmt.Errorf("ring key %d: %d bytes: %w", i, len(k), ErrBadPublicKey)
		}
		keys = append(keys, encodedPoint(k))
	}
	slices.SortFunc(keys, func(a, b encodedPoint) int { return bytes.Compare(a[:], b[:]) })
	keys = slices.Compact(keys)
	h := sha256.New()
	for i := range keys {
		h.Write(keys[i][:])
	}
	var id RingID
	h.Sum(id[:0])
	return keys, id, nil
}

// buildRing decodes the keys and precomputes H_p and the comb tables.
func buildRing(keys []encodedPoint, id RingID) (*Ring, error) {
	r := &Ring{id: id, members: make([]member, len(keys))}
	for i := range keys {
		m := &r.members[i]
		m.key = keys[i]
		if !parsePoint(keys[i][:], &m.point) {
			return nil, fmt.Errorf("ring key %x: %w", keys[i][:], ErrBadPublicKey)
		}
		var ok bool
		if m.hash, ok = hashToCurve(&m.key); !ok {
			return nil, fmt.Errorf("ring key %x: hash to curve found no point in %d tries", keys[i][:], hashToCurveTries)
		}
		m.pComb = newCombTable(&m.point)
		m.hComb = newCombTable(&m.hash)
	}
	if len(keys) > linearScanMax {
		r.index = make(map[encodedPoint]int, len(keys))
		for i := range keys {
			r.index[keys[i]] = i
		}
	}
	empty := make([]*imageEntry, 0)
	r.images.Store(&empty)
	return r, nil
}

// image returns the cached entry for a key image, or nil.
func (r *Ring) image(key *encodedPoint) *imageEntry {
	for _, e := range *r.images.Load() {
		if e.key == *key {
			return e
		}
	}
	return nil
}

// noteImage records a key image that just verified: the first time it stores
// the decoded point, the second time it builds the image's comb table.
// It reports whether it built a table.
func (r *Ring) noteImage(e *imageEntry, key *encodedPoint, p *affinePoint) bool {
	if e != nil {
		if e.comb.Load() != nil {
			return false
		}
		t := newCombTable(&e.point)
		return e.comb.CompareAndSwap(nil, t)
	}
	r.imageMu.Lock()
	defer r.imageMu.Unlock()
	cur := *r.images.Load()
	if len(cur) >= len(r.members) || r.image(key) != nil {
		return false
	}
	next := make([]*imageEntry, len(cur), len(cur)+1)
	copy(next, cur)
	next = append(next, &imageEntry{key: *key, point: *p})
	r.images.Store(&next)
	return false
}
