package miner

import (
	"context"
	"fmt"

	"github.com/pokt-network/smt/kvstore"
	"github.com/redis/go-redis/v9"
)

var _ kvstore.MapStore = (*nodeStore)(nil)

// nodeStore is the smt.MapStore behind one tree: an in-memory write-back buffer in front of the
// tree's Redis hash (transport.Keys.TreeNodes), field = node digest, value = node encoding.
//
// The trie itself keeps every node it has resolved, so the store is read only for nodes the trie
// has not resolved yet, which exist only in a tree resumed from a committed root. Those are
// bulk-loaded once (load, HSCAN) into loaded. Set and Delete, called by smt's Commit, only record
// the change in sets and dels; takeChanges hands them to the commit transaction and
// commitDone forgets them once Redis has them. The store never talks to Redis on its own while
// the trie runs, so a batch costs no round trip until its commit.
//
// A nodeStore is used by one goroutine at a time (its tree's owner).
type nodeStore struct {
	loaded map[string][]byte // committed nodes read from Redis, not yet orphaned
	sets   map[string][]byte // nodes written since the last commit
	dels   map[string]struct{}
}

func newNodeStore() *nodeStore {
	return &nodeStore{
		sets: make(map[string][]byte),
		dels: make(map[string]struct{}),
	}
}

// hscanCount is the COUNT hint of each HSCAN call when a tree is resumed.
const hscanCount = 2000

// load reads every committed node of the hash key into memory with HSCAN.
func (s *nodeStore) load(ctx context.Context, rdb redis.UniversalClient, key string) error {
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
			return nil
		}
		cursor = next
	}
}

// Get returns a node's encoding. A node the trie asks for but that is neither pending nor
// committed means the committed root and nodes disagree, which the commit transaction rules out.
func (s *nodeStore) Get(key []byte) ([]byte, error) {
	if v, ok := s.sets[string(key)]; ok {
		return v, nil
	}
	if v, ok := s.loaded[string(key)]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("tree node %x: %w", key, errNodeMissing)
}

// Set records a node written by the trie's Commit.
func (s *nodeStore) Set(key, value []byte) error {
	k := string(key)
	delete(s.dels, k)
	s.sets[k] = value
	return nil
}

// Delete records a node orphaned by the trie's Commit.
func (s *nodeStore) Delete(key []byte) error {
	k := string(key)
	delete(s.sets, k)
	delete(s.loaded, k)
	s.dels[k] = struct{}{}
	return nil
}

// Len returns the number of nodes known in memory (committed and pending); it is for tests and
// debugging only, the trie never calls it.
func (s *nodeStore) Len() (int, error) { return len(s.loaded) + len(s.sets), nil }

// ClearAll forgets everything in memory; Redis is untouched.
func (s *nodeStore) ClearAll() error {
	s.loaded = nil
	clear(s.sets)
	clear(s.dels)
	return nil
}

// queueChanges adds the pending node writes and deletions to p as HSET and HDEL on key. They are
// not forgotten until commitDone, so a failed transaction can be retried with the same changes.
func (s *nodeStore) queueChanges(ctx context.Context, p redis.Pipeliner, key string) {
	if len(s.dels) > 0 {
		fields := make([]string, 0, len(s.dels))
		for k := range s.dels {
			fields = append(fields, k)
		}
		p.HDel(ctx, key, fields...)
	}
	if len(s.sets) > 0 {
		args := make([]any, 0, 2*len(s.sets))
		for k, v := range s.sets {
			args = append(args, k, v)
		}
		p.HSet(ctx, key, args...)
	}
}

// commitDone forgets the pending changes once Redis holds them. Written nodes are dropped from
// memory: the trie keeps its own parsed copy of every node it wrote.
func (s *nodeStore) commitDone() {
	clear(s.sets)
	clear(s.dels)
}
