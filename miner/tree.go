package miner

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/pokt-network/smt"
	"github.com/redis/go-redis/v9"

	"github.com/shannon-ops/pocket-relay-miner/leader"
	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// RootSize is the length of a sum-trie root: digest(32) || sum(8, BE) || count(8, BE).
const RootSize = 48

var (
	// errNodeMissing means the trie asked for a node that is neither in memory nor committed.
	errNodeMissing = errors.New("tree node missing")
	// errEmptyRelay rejects a relay without bytes: its leaf would be indistinguishable from
	// an absent one.
	errEmptyRelay = errors.New("empty relay")
	// ErrCUPRMismatch is returned by Tree.Insert for a relay whose compute units per relay
	// differ from the tree's: a claim needs sum == count × CUPR (PROTOCOL.md §6.5).
	ErrCUPRMismatch = errors.New("compute units per relay differ from the tree's")
)

// Fields of the TreeMeta hash.
const (
	metaRoot    = "root"    // 48-byte committed root
	metaCount   = "count"   // decimal relay count of the committed root
	metaSum     = "sum"     // decimal compute-unit sum of the committed root
	metaCUPR    = "cupr"    // decimal compute units per relay, the weight of every leaf
	metaApp     = "app"     // session header: application address
	metaService = "service" // session header: service id
	metaStart   = "start"   // session header: start height
	metaEnd     = "end"     // session header: end height
	// metaFirst is the smallest relay stream id whose relay was inserted into the tree and
	// committed; it bounds the stream trim (see streamTrimmer). Absent in trees committed
	// before it existed.
	metaFirst = "first"
)

// SessionHeader names the session a relay belongs to, as carried by the relay message.
type SessionHeader struct {
	Supplier    string
	Application string
	ServiceID   string
	SessionID   string
	StartHeight int64
	EndHeight   int64
}

// headerOf returns the session header of a relay message.
func headerOf(m *transport.Message) SessionHeader {
	return SessionHeader{
		Supplier: m.Supplier, Application: m.Application, ServiceID: m.ServiceID,
		SessionID: m.SessionID, StartHeight: m.SessionStartHeight, EndHeight: m.SessionEndHeight,
	}
}

// Tree is the sparse Merkle sum trie of one (supplier, session) with the protocol's spec
// (PROTOCOL.md §6.1): key = relay hash, value = dehydrated relay bytes, weight = CUPR at the
// session start. Its nodes live in memory and, as of the last commit, in Redis.
//
// A Tree is not safe for concurrent use; the consumer serializes access to the trees it owns.
type Tree struct {
	header SessionHeader
	cupr   uint64
	nodes  string // transport.Keys.TreeNodes
	meta   string // transport.Keys.TreeMeta

	store *nodeStore
	trie  *smt.SMST
	dirty bool // relays inserted since the last take
	// unsynced counts the batches taken from the tree whose commit has not landed yet: while it
	// is > 0 the trie is ahead of Redis.
	unsynced int
	// paths holds the trie path (sha256 of the relay hash) of every relay in the trie, so
	// Insert detects a duplicate without walking the trie. nil means unknown (a resumed tree
	// whose leaves could not be enumerated): Insert then asks the trie.
	paths map[[sha256.Size]byte]struct{}
	// first is the smallest stream id of a relay inserted into the tree (committed or in the
	// batch), "" if none is known; committed as metaFirst with the batch that set it.
	first string
	// ttl is the expiry each commit gives the tree's keys (EXPIRE NX, then GT: set when there
	// is none, otherwise only extended); 0 means DefaultTreeTTL. The consumer sets it from
	// ConsumerConfig.TreeTTL.
	ttl time.Duration
	// session and index are the session's record and the supplier's session index
	// (StateStore); recorded is set once a commit of this tree wrote the record if absent.
	session, index string
	recorded       bool
}

func newTrieSpecOpts() []smt.TrieSpecOption { return []smt.TrieSpecOption{smt.WithValueHasher(nil)} }

// OpenTree returns the committed tree of (supplier, sessionID): empty if nothing was committed,
// otherwise imported from the committed root. h is used as the header of a new tree; a committed
// tree keeps its own. It reads only the tree's meta (one HGETALL): Root, Count and Sum need no
// node, and the nodes ProveClosest (or an Insert) visits are read on demand, one HGET each, until
// lazyGets of them were read, after which every node reachable from the root is loaded at once. So opening a
// sealed tree to claim and prove it costs a few round trips whatever its size. The consumer
// opens the trees it mines with every committed node loaded up front instead (openTree).
func OpenTree(ctx context.Context, rdb redis.UniversalClient, keys transport.Keys, h SessionHeader) (*Tree, error) {
	return openTree(ctx, rdb, keys, h, false)
}

// openTree is OpenTree; with eager, a committed tree also gets every committed node loaded
// (nodeStore.load: one pipelined HMGET per trie level) and the set of its relay paths, as the consumer needs before inserting.
func openTree(ctx context.Context, rdb redis.UniversalClient, keys transport.Keys, h SessionHeader, eager bool) (*Tree, error) {
	t := &Tree{
		header:  h,
		nodes:   keys.TreeNodes(h.Supplier, h.SessionID),
		meta:    keys.TreeMeta(h.Supplier, h.SessionID),
		session: keys.Session(h.Supplier, h.SessionID),
		index:   keys.SessionIndex(h.Supplier),
	}
	t.store = newNodeStore(rdb, t.nodes, nil)
	meta, err := rdb.HGetAll(ctx, t.meta).Result()
	if err != nil {
		return nil, fmt.Errorf("open tree %s: %w", t.meta, err)
	}
	root, ok := meta[metaRoot]
	if !ok {
		t.trie = smt.NewSparseMerkleSumTrie(t.store, sha256.New(), newTrieSpecOpts()...)
		t.paths = make(map[[sha256.Size]byte]struct{})
		return t, nil
	}
	if len(root) != RootSize {
		return nil, fmt.Errorf("open tree %s: committed root has %d bytes, want %d", t.meta, len(root), RootSize)
	}
	if err := t.parseMeta(meta); err != nil {
		return nil, fmt.Errorf("open tree %s: %w", t.meta, err)
	}
	t.store.root = []byte(root)
	t.trie = smt.ImportSparseMerkleSumTrie(t.store, sha256.New(), []byte(root), newTrieSpecOpts()...)
	if eager {
		if err := t.store.load(ctx); err != nil {
			return nil, err
		}
		t.paths = t.store.leafPaths(t.trie.MustCount())
	}
	return t, nil
}

func (t *Tree) parseMeta(meta map[string]string) error {
	var err error
	if t.cupr, err = strconv.ParseUint(meta[metaCUPR], 10, 64); err != nil {
		return fmt.Errorf("field %s: %w", metaCUPR, err)
	}
	if t.header.StartHeight, err = strconv.ParseInt(meta[metaStart], 10, 64); err != nil {
		return fmt.Errorf("field %s: %w", metaStart, err)
	}
	if t.header.EndHeight, err = strconv.ParseInt(meta[metaEnd], 10, 64); err != nil {
		return fmt.Errorf("field %s: %w", metaEnd, err)
	}
	t.header.Application = meta[metaApp]
	t.header.ServiceID = meta[metaService]
	t.first = meta[metaFirst]
	return nil
}

// Header returns the session header the tree was created with.
func (t *Tree) Header() SessionHeader { return t.header }

// ComputeUnitsPerRelay returns the weight of every leaf, 0 while the tree is empty.
func (t *Tree) ComputeUnitsPerRelay() uint64 { return t.cupr }

// Insert adds one relay. It reports false, changing nothing, when the relay hash is already in
// the tree (a replayed stream entry), and returns ErrCUPRMismatch when the relay's weight differs
// from the tree's. The change is in memory only until the next commit.
func (t *Tree) Insert(m *transport.Message) (added bool, err error) {
	if len(m.Relay) == 0 {
		return false, fmt.Errorf("relay %x: %w", m.RelayHash, errEmptyRelay)
	}
	if t.cupr != 0 && m.ComputeUnitsPerRelay != t.cupr {
		return false, fmt.Errorf("relay %x: cupr %d, tree %d: %w", m.RelayHash, m.ComputeUnitsPerRelay, t.cupr, ErrCUPRMismatch)
	}
	path := sha256.Sum256(m.RelayHash[:]) // the trie's path of the key (PROTOCOL.md §6.1)
	if t.paths != nil {
		if _, dup := t.paths[path]; dup {
			return false, nil
		}
	} else {
		v, _, err := t.trie.Get(m.RelayHash[:])
		if err != nil {
			return false, fmt.Errorf("look up relay %x: %w", m.RelayHash, err)
		}
		if len(v) > 0 { // an absent key reads as the empty value; a relay is never empty
			return false, nil
		}
	}
	t.dirty = true // even a failed Update may have touched the trie: the batch must drop it
	if err := t.trie.Update(m.RelayHash[:], m.Relay, m.ComputeUnitsPerRelay); err != nil {
		return false, fmt.Errorf("insert relay %x: %w", m.RelayHash, err)
	}
	if t.paths != nil {
		t.paths[path] = struct{}{}
	}
	t.cupr = m.ComputeUnitsPerRelay
	return true, nil
}

// treeChanges is what one batch changed in one tree: the node writes and the new meta. Tree.take
// moves them out of the tree, so the tree can take the next batch while this one's commit
// transaction runs; landed gives the buffers back once Redis holds them.
type treeChanges struct {
	t     *Tree
	nodes nodeBatch
	root  []byte // 48-byte root after the batch
	cupr  uint64
	first string
	ttl   time.Duration
	// record holds the fields of the session's initial record, written field by field only
	// where absent (HSETNX), with the tree's first commit in this process: a replica that dies
	// after committing relays but before its lifecycle saved the session leaves a record for
	// the next owner to find. nil once written.
	record []any
}

// take runs the trie's Commit, which computes every node the batch changed and hands its
// encoding to the store, and moves those writes and the new root out of the tree. Until the
// changes have landed (or the tree is dropped) the tree counts as unsynced: a failed commit
// must drop it, since its trie is ahead of Redis.
func (t *Tree) take() (*treeChanges, error) {
	if err := t.trie.Commit(); err != nil {
		return nil, fmt.Errorf("commit trie %s: %w", t.nodes, err)
	}
	ttl := t.ttl
	if ttl <= 0 {
		ttl = DefaultTreeTTL
	}
	var record []any
	if !t.recorded {
		var err error
		if record, err = initialRecord(t.header).fields(0); err != nil {
			return nil, err
		}
	}
	t.dirty = false
	t.unsynced++
	return &treeChanges{
		t: t, nodes: t.store.take(), root: bytes.Clone(t.trie.Root()),
		cupr: t.cupr, first: t.first, ttl: ttl, record: record,
	}, nil
}

// queue adds the batch's node writes and the tree's new meta (root, count, sum, header) to p.
func (ch *treeChanges) queue(ctx context.Context, p redis.Pipeliner) {
	t, root := ch.t, smt.MerkleSumRoot(ch.root)
	ch.nodes.queue(ctx, p, t.nodes)
	fields := []any{
		metaRoot, ch.root,
		metaCount, strconv.FormatUint(root.MustCount(), 10),
		metaSum, strconv.FormatUint(root.MustSum(), 10),
		metaCUPR, strconv.FormatUint(ch.cupr, 10),
		metaApp, t.header.Application,
		metaService, t.header.ServiceID,
		metaStart, strconv.FormatInt(t.header.StartHeight, 10),
		metaEnd, strconv.FormatInt(t.header.EndHeight, 10),
	}
	if ch.first != "" {
		fields = append(fields, metaFirst, ch.first)
	}
	p.HSet(ctx, t.meta, fields...)
	for _, k := range [...]string{t.nodes, t.meta} {
		p.ExpireNX(ctx, k, ch.ttl)
		p.ExpireGT(ctx, k, ch.ttl)
	}
	if ch.record != nil {
		ch.queueRecord(ctx, p)
	}
}

// queueRecord adds the session's initial record where the lifecycle has not saved one: each
// field only if absent, the index entry only if missing, and expiries only set or extended, so
// a record the lifecycle already wrote is left exactly as it is.
func (ch *treeChanges) queueRecord(ctx context.Context, p redis.Pipeliner) {
	t := ch.t
	for i := 0; i+1 < len(ch.record); i += 2 {
		p.HSetNX(ctx, t.session, ch.record[i].(string), ch.record[i+1])
	}
	p.ExpireNX(ctx, t.session, ch.ttl)
	p.ZAddNX(ctx, t.index, redis.Z{Score: float64(t.header.EndHeight), Member: t.header.SessionID})
	p.ExpireNX(ctx, t.index, ch.ttl)
	p.ExpireGT(ctx, t.index, ch.ttl)
}

// landed records that Redis holds the changes. It must be called by the tree's user (the
// consumer, under its lock), never by the goroutine that ran the transaction.
func (ch *treeChanges) landed() {
	ch.t.unsynced--
	if ch.record != nil {
		ch.t.recorded = true
	}
	if ch.t.store != nil {
		ch.t.store.recycle(ch.nodes)
	}
	ch.nodes = nodeBatch{}
}

// noteEntry records that the relay of stream entry id was inserted: the tree's first stream id
// becomes the smaller of the two. Ids that do not parse are ignored (Redis only hands out
// valid ones).
func (t *Tree) noteEntry(id string) {
	if t.first == "" {
		if _, ok := parseStreamID(id); ok {
			t.first = id
		}
		return
	}
	a, okA := parseStreamID(id)
	b, okB := parseStreamID(t.first)
	if okA && (!okB || a.less(b)) {
		t.first = id
	}
}

// FirstEntry returns the smallest stream id of a relay inserted into the tree, "" if unknown.
func (t *Tree) FirstEntry() string { return t.first }

// Root returns the 48-byte root (digest || sum || count) of the tree's current state; called
// outside an apply, that is the committed root: the claim root once the tree is sealed.
func (t *Tree) Root() []byte { return []byte(t.trie.Root()) }

// Count returns the number of relays in the tree.
func (t *Tree) Count() uint64 { return t.trie.Root().MustCount() }

// Sum returns the total compute units of the tree.
func (t *Tree) Sum() uint64 { return t.trie.Root().MustSum() }

// ProveClosest returns the closest proof for path (PROTOCOL.md §6.7), from the committed state.
func (t *Tree) ProveClosest(path []byte) (*smt.SparseMerkleClosestProof, error) {
	p, err := t.trie.ProveClosest(path)
	if err != nil {
		return nil, fmt.Errorf("prove closest in %s: %w", t.nodes, err)
	}
	return p, nil
}

// Close drops the tree's memory. Redis keeps its committed state (Delete removes it).
func (t *Tree) Close() {
	_ = t.store.ClearAll()
	t.trie = nil
	t.paths = nil
}

// Delete removes the tree's Redis keys, fenced by the supplier's lease, and drops its memory. It
// is for trees whose claim was settled or abandoned.
func (t *Tree) Delete(ctx context.Context, rdb redis.UniversalClient, f leader.Fence) error {
	err := f.Tx(ctx, rdb, func(p redis.Pipeliner) error {
		p.Del(ctx, t.nodes, t.meta)
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete tree %s: %w", t.nodes, err)
	}
	t.Close()
	return nil
}
