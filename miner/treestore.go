package miner

import (
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
// bulk-loaded once (load, HSCAN) into loaded, either up front (the consumer's trees) or after
// the first lazyGets nodes were read one by one with HGET (a tree opened to be proven). Set, called by smt's Commit, only appends the node
// to pending; queueChanges hands pending to the commit transaction as one HSET and commitDone
// forgets it once Redis has it. The trie never reads a node back between its Set and commitDone
// (it keeps the node it wrote), so pending is a plain list, not a map. The store never talks to
// Redis on its own while the trie runs, so a batch costs no round trip until its commit.
//
// Orphans are kept. Delete, called by Commit for every committed node the batch replaced, only
// drops the node from memory: Redis keeps it until Tree.Delete removes the whole hash. That
// halves the commands of a commit (no HDEL) at the cost of Redis memory (see BENCHMARKS.md),
// and it is safe because nodes are content-addressed: a field's value never changes, an orphan
// is simply unreachable from the committed root, and a node orphaned and later re-created by
// another path is written again with the same bytes. Nothing reads the hash except from the
// committed root (OpenTree imports it; only reachable nodes are resolved), so orphans never
// reach a root, a count or a proof.
//
// A nodeStore is used by one goroutine at a time (its tree's owner).
type nodeStore struct {
	rdb     redis.UniversalClient
	key     string            // the Redis hash of the nodes
	loaded  map[string][]byte // committed nodes read from Redis, not yet orphaned
	full    bool              // loaded holds every committed node (load ran)
	gets    int               // nodes read one by one (HGET) so far
	pending []nodeArg         // HSET arguments (digest, encoding, ...) written since the last commit
}

// nodeArg is one HSET argument. go-redis takes arguments as []any, and a []byte stored in an
// interface costs an allocation per argument (two per node); a pointer into the pending slab
// does not (go-redis writes an encoding.BinaryMarshaler as a bulk string).
type nodeArg struct{ b []byte }

// MarshalBinary returns the argument's bytes as they are.
func (a *nodeArg) MarshalBinary() ([]byte, error) { return a.b, nil }

func newNodeStore(rdb redis.UniversalClient, key string) *nodeStore {
	return &nodeStore{rdb: rdb, key: key}
}

const (
	// hscanCount is the COUNT hint of each HSCAN call when a tree is resumed.
	hscanCount = 2000
	// lazyGets is how many nodes a lazily opened tree reads one by one before it loads them all:
	// a closest proof visits about log2(count) + 1 nodes (18 for 100k relays), a consumer
	// resuming a tree would visit thousands.
	lazyGets = 64
	// nodeReadTimeout bounds one lazy node read (the trie's store interface has no context).
	nodeReadTimeout = 10 * time.Second
)

// load reads every committed node of the hash into memory with HSCAN.
func (s *nodeStore) load(ctx context.Context) error {
	rdb, key := s.rdb, s.key
	var cursor uint64
	for {
		kv, next, err := rdb.HScan(ctx, key, cursor, "", hscanCount).Result()
		if err != nil {
			return fmt.Errorf("load tree nodes %s: %w", key, err)
		}
		if s.loaded == nil {
			s.loaded = make(map[string][]byte, len(kv))
		}
		for i := 0; i+1 < len(kv); i += 2 {
			s.loaded[kv[i]] = []byte(kv[i+1])
		}
		if next == 0 {
			s.full = true
			return nil
		}
		cursor = next
	}
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
	s.pending = append(s.pending, nodeArg{key}, nodeArg{value})
	return nil
}

// Delete is called by the trie's Commit for a committed node it orphaned: the node is dropped
// from memory but kept in Redis (see nodeStore).
func (s *nodeStore) Delete(key []byte) error {
	if s.loaded != nil {
		delete(s.loaded, string(key))
	}
	return nil
}

// Len returns the number of nodes known in memory (committed and pending); it is for tests and
// debugging only, the trie never calls it.
func (s *nodeStore) Len() (int, error) { return len(s.loaded) + len(s.pending)/2, nil }

// ClearAll forgets everything in memory; Redis is untouched.
func (s *nodeStore) ClearAll() error {
	s.loaded, s.full, s.gets = nil, false, 0
	s.pending = nil
	return nil
}

// queueChanges adds the pending node writes to p as one HSET on key. They are not forgotten until
// commitDone, so a failed transaction can be retried with the same changes.
func (s *nodeStore) queueChanges(ctx context.Context, p redis.Pipeliner, key string) {
	if len(s.pending) > 0 {
		args := make([]any, len(s.pending))
		for i := range s.pending {
			args[i] = &s.pending[i]
		}
		p.HSet(ctx, key, args...)
	}
}

// commitDone forgets the pending changes once Redis holds them. Written nodes are dropped from
// memory: the trie keeps its own parsed copy of every node it wrote.
func (s *nodeStore) commitDone() {
	clear(s.pending)
	s.pending = s.pending[:0]
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
