package miner

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/pokt-network/smt/kvstore"
	"github.com/redis/go-redis/v9"
)

var _ kvstore.MapStore = (*nodeStore)(nil)

// nodeStore is the smt.MapStore behind one tree: an in-memory write-back buffer in front of the
// tree's Redis hash (transport.Keys.TreeNodes), field = node digest, value = node encoding.
//
// The trie itself keeps every node it has resolved, so the store is read only for nodes the trie
// has not resolved yet, which exist only in a tree resumed from a committed root. Those are
// bulk-loaded once into loaded (load: the nodes reachable from the committed root, level by
// level), either up front (the consumer's trees) or after the first lazyGets nodes were read one
// by one with HGET (a tree opened to be proven). Set, called by smt's Commit, only appends the
// node to pending; take hands pending to the batch's commit transaction (one HSET) and starts a
// new list, so the next batch can be applied while that transaction runs. The trie never reads
// a node back once it has Set it (it keeps the node it wrote), so pending is a plain list, not a
// map. The store never talks to Redis on its own while the trie runs, so a batch costs no round
// trip until its commit.
//
// Orphans are deleted with the batch that orphaned them. Delete, called by Commit for every
// committed node the batch replaced, drops the node from memory and adds it to the batch's HDEL,
// which the commit transaction sends before the batch's HSET: a node orphaned and written again
// in one batch (same digest, same bytes: nodes are content-addressed) ends up present. So the
// hash holds the live nodes only (for a 100k-relay tree built in batches of 1000, 225k fields
// instead of 739k when orphans were kept; see BENCHMARKS.md). Trees written by an older version
// may still hold orphans; nothing reads the hash except from the committed root (OpenTree
// imports it, load walks from it), so orphans never reach a root, a count, a proof or the
// memory of a new owner.
//
// A nodeStore is used by one goroutine at a time (its tree's owner).
type nodeStore struct {
	rdb     redis.UniversalClient
	key     string            // the Redis hash of the nodes
	root    []byte            // the committed root the tree was opened at; load walks from it
	loaded  map[string][]byte // committed nodes read from Redis, not yet orphaned
	full    bool              // loaded holds every committed node (load ran)
	gets    int               // nodes read one by one (HGET) so far
	pending nodeBatch         // node changes since the last take
	spare   nodeBatch         // empty lists recycled from a landed commit, for the next take
}

// nodeBatch is the node changes of one batch: HSET arguments (digest, encoding, ...) of the nodes
// the trie wrote, and the digests of the committed nodes it orphaned, for one HDEL.
type nodeBatch struct {
	writes, orphans []nodeArg
}

// nodeArg is one HSET argument. go-redis takes arguments as []any, and a []byte stored in an
// interface costs an allocation per argument (two per node); a pointer into the pending slab
// does not (go-redis writes an encoding.BinaryMarshaler as a bulk string).
type nodeArg struct{ b []byte }

// MarshalBinary returns the argument's bytes as they are.
func (a *nodeArg) MarshalBinary() ([]byte, error) { return a.b, nil }

func newNodeStore(rdb redis.UniversalClient, key string, root []byte) *nodeStore {
	return &nodeStore{rdb: rdb, key: key, root: root}
}

const (
	// hmgetChunk is the most node digests one HMGET asks for when a tree is loaded; a trie level
	// wider than that is read with several HMGETs in one pipeline.
	hmgetChunk = 1000
	// lazyGets is how many nodes a lazily opened tree reads one by one before it loads them all:
	// a closest proof visits about log2(count) + 1 nodes (18 for 100k relays), a consumer
	// resuming a tree would visit thousands.
	lazyGets = 64
	// nodeReadTimeout bounds one lazy node read (the trie's store interface has no context).
	nodeReadTimeout = 10 * time.Second
	// Sizes of the sum trie's node encodings (smt node_encoders.go, SHA-256): a child reference
	// is the child's digest, hash(32) || sum(8) || count(8).
	childRefSize = sha256.Size + 16
	// innerNodeSize: 0x01 || left ref || right ref || sum || count.
	innerNodeSize = 1 + 2*childRefSize + 16
	// extNodeSize: 0x02 || path bounds(2) || path(32) || child ref || sum || count.
	extNodeSize = 1 + 2 + sha256.Size + childRefSize + 16
)

// placeholderRef is the reference of an empty subtrie: it names no stored node.
var placeholderRef [childRefSize]byte

// load reads the nodes reachable from the committed root into memory, level by level: the
// digests of one level are read with HMGET, in chunks of hmgetChunk sent in one pipeline, and
// their children make the next level. Orphans left in the hash by earlier commits are never
// read, so a takeover costs one round trip per trie level and memory for the live nodes only.
func (s *nodeStore) load(ctx context.Context) error {
	loaded := make(map[string][]byte)
	var level []string
	if len(s.root) == childRefSize && !bytes.Equal(s.root, placeholderRef[:]) {
		level = append(level, string(s.root))
	}
	for len(level) > 0 {
		cmds := make([]*redis.SliceCmd, 0, (len(level)+hmgetChunk-1)/hmgetChunk)
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := 0; i < len(level); i += hmgetChunk {
				cmds = append(cmds, p.HMGet(ctx, s.key, level[i:min(i+hmgetChunk, len(level))]...))
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("load tree nodes %s: %w", s.key, err)
		}
		var next []string
		for ci, cmd := range cmds {
			for j, v := range cmd.Val() {
				digest := level[ci*hmgetChunk+j]
				enc, ok := v.(string)
				if !ok {
					return fmt.Errorf("load tree nodes %s: node %x: %w", s.key, digest, errNodeMissing)
				}
				if next, err = appendChildren(next, enc); err != nil {
					return fmt.Errorf("load tree nodes %s: node %x: %w", s.key, digest, err)
				}
				loaded[digest] = []byte(enc)
			}
		}
		level = next
	}
	s.loaded, s.full = loaded, true
	return nil
}

// appendChildren appends the references of the stored children of the encoded node enc.
func appendChildren(refs []string, enc string) ([]string, error) {
	var kids [2]string
	n := 0
	switch {
	case len(enc) > 0 && enc[0] == 0: // leaf
	case len(enc) == innerNodeSize && enc[0] == 1:
		kids[0], kids[1], n = enc[1:1+childRefSize], enc[1+childRefSize:1+2*childRefSize], 2
	case len(enc) == extNodeSize && enc[0] == 2:
		kids[0], n = enc[3+sha256.Size:3+sha256.Size+childRefSize], 1
	default:
		return refs, fmt.Errorf("malformed node encoding of %d bytes", len(enc))
	}
	for _, k := range kids[:n] {
		if k != string(placeholderRef[:]) {
			refs = append(refs, k)
		}
	}
	return refs, nil
}

// Get returns a committed node's encoding. A node the trie asks for but that was never loaded
// means the committed root and nodes disagree, which the commit transaction rules out; the
// error fails the batch, whose trees are then reloaded from Redis.
func (s *nodeStore) Get(key []byte) ([]byte, error) {
	if v, ok := s.loaded[string(key)]; ok {
		return v, nil
	}
	if s.full || s.rdb == nil {
		return nil, fmt.Errorf("tree node %x: %w", key, errNodeMissing)
	}
	ctx, cancel := context.WithTimeout(context.Background(), nodeReadTimeout)
	defer cancel()
	if s.gets >= lazyGets {
		if err := s.load(ctx); err != nil {
			return nil, err
		}
		return s.Get(key)
	}
	s.gets++
	v, err := s.rdb.HGet(ctx, s.key, string(key)).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, fmt.Errorf("tree node %x: %w", key, errNodeMissing)
	case err != nil:
		return nil, fmt.Errorf("read tree node %x of %s: %w", key, s.key, err)
	}
	if s.loaded == nil {
		s.loaded = make(map[string][]byte)
	}
	s.loaded[string(key)] = v
	return v, nil
}

// Set records a node written by the trie's Commit. Both slices are kept without a copy: smt
// never mutates a digest or an encoding once computed (a dirty node gets new ones).
func (s *nodeStore) Set(key, value []byte) error {
	s.pending.writes = append(s.pending.writes, nodeArg{key}, nodeArg{value})
	return nil
}

// Delete is called by the trie's Commit for a committed node it orphaned: the node is dropped
// from memory and deleted from Redis with the batch (see nodeStore).
func (s *nodeStore) Delete(key []byte) error {
	if s.loaded != nil {
		delete(s.loaded, string(key))
	}
	s.pending.orphans = append(s.pending.orphans, nodeArg{key})
	return nil
}

// Len returns the number of nodes known in memory (committed and pending); it is for tests and
// debugging only, the trie never calls it.
func (s *nodeStore) Len() (int, error) { return len(s.loaded) + len(s.pending.writes)/2, nil }

// ClearAll forgets everything in memory; Redis is untouched.
func (s *nodeStore) ClearAll() error {
	s.loaded, s.full, s.gets = nil, false, 0
	s.pending, s.spare = nodeBatch{}, nodeBatch{}
	return nil
}

// take hands the pending node changes to the batch being committed and starts empty lists for
// the next batch, so the trie can take new relays while the commit transaction runs. The lists
// come back with recycle once Redis holds them.
func (s *nodeStore) take() nodeBatch {
	p := s.pending
	s.pending = nodeBatch{writes: s.spare.writes[:0], orphans: s.spare.orphans[:0]}
	s.spare = nodeBatch{}
	return p
}

// recycle takes back lists handed out by take once their commit landed, to be reused instead of
// growing new ones for every batch.
func (s *nodeStore) recycle(b nodeBatch) {
	if s.spare.writes == nil && s.spare.orphans == nil {
		clear(b.writes)
		clear(b.orphans)
		s.spare = nodeBatch{writes: b.writes[:0], orphans: b.orphans[:0]}
	}
}

// queue adds a batch's node changes to p: one HDEL of the orphans, then one HSET of the writes.
// The order matters: a node the batch orphaned and wrote again (same digest, same bytes) must
// end up present.
func (b *nodeBatch) queue(ctx context.Context, p redis.Pipeliner, key string) {
	if len(b.orphans) > 0 {
		args := make([]any, 2+len(b.orphans))
		args[0], args[1] = "hdel", key
		for i := range b.orphans {
			args[2+i] = &b.orphans[i]
		}
		p.Do(ctx, args...)
	}
	if len(b.writes) > 0 {
		args := make([]any, len(b.writes))
		for i := range b.writes {
			args[i] = &b.writes[i]
		}
		p.HSet(ctx, key, args...)
	}
}

// leafPaths returns the paths of the leaves among the loaded nodes, or nil unless there are
// exactly count of them. Leaves are never orphaned while a tree is only grown by Tree.Insert (a
// duplicate is never re-inserted, and a leaf pushed down by a split keeps its digest), so the
// loaded leaves are the trie's; the count check makes sure of it, and any doubt falls back to
// looking relays up in the trie. Leaf encoding (smt node_encoders.go): 0x00 || path(32) || value.
func (s *nodeStore) leafPaths(count uint64) map[[sha256.Size]byte]struct{} {
	paths := make(map[[sha256.Size]byte]struct{}, count)
	for _, v := range s.loaded {
		if len(v) > sha256.Size && v[0] == 0 {
			paths[[sha256.Size]byte(v[1:1+sha256.Size])] = struct{}{}
		}
	}
	if uint64(len(paths)) != count {
		return nil
	}
	return paths
}
