package miner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	"github.com/redis/go-redis/v9"

	"github.com/shannon-ops/pocket-relay-miner/leader"
	"github.com/shannon-ops/pocket-relay-miner/transport"
	"github.com/shannon-ops/pocket-relay-miner/tx"
)

// Record is everything persisted about one (supplier, session): the exact on-chain session
// header taken from the relays, the windows (computed once, zero until the session ended) and
// the lifecycle state.
type Record struct {
	Supplier string
	Header   *sessiontypes.SessionHeader
	Windows  Windows
	Session  Session
}

// Fields of the Session hash. Every field is rewritten on every save.
const (
	fHeader     = "header"      // gogoproto bytes of the SessionHeader
	fWindows    = "windows"     // JSON of Windows ("" until known)
	fState      = "state"       // State
	fReason     = "reason"      // Reason
	fRoot       = "root"        // 48-byte sealed or on-chain claim root, "" until sealed
	fReq        = "requirement" // Requirement
	fClaimTries = "claim_attempts"
	fProofTries = "proof_attempts"
	fLast       = "last_attempt" // height of the latest send
	fInFlight   = "in_flight"    // "1" while a send's outcome is unknown
	fTxHash     = "tx_hash"      // the tx of the latest send, once known
	fTreeGone   = "tree_deleted" // "1" once the tree is deleted
	fError      = "error"        // latest send error
	fHeight     = "height"       // block height of the save
)

// fields encodes r for HSET.
func (r Record) fields(height int64) ([]any, error) {
	hb, err := r.Header.Marshal()
	if err != nil {
		return nil, fmt.Errorf("encode session %s header: %w", r.Session.ID, err)
	}
	var wb []byte
	if r.Windows.Valid() {
		if wb, err = json.Marshal(r.Windows); err != nil {
			return nil, fmt.Errorf("encode session %s windows: %w", r.Session.ID, err)
		}
	}
	s := r.Session
	return []any{
		fHeader, hb, fWindows, wb, fState, string(s.State), fReason, string(s.Reason),
		fRoot, s.Root, fReq, string(s.Requirement),
		fClaimTries, s.ClaimAttempts, fProofTries, s.ProofAttempts, fLast, s.LastAttempt,
		fInFlight, boolField(s.InFlight), fTxHash, s.TxHash, fTreeGone, boolField(s.TreeDeleted), fError, s.Error,
		fHeight, height,
	}, nil
}

// initialRecord is the record of a session the lifecycle has not seen yet: active, with the
// header taken from its relays.
func initialRecord(h SessionHeader) Record {
	return Record{Supplier: h.Supplier, Session: NewSession(h.SessionID), Header: &sessiontypes.SessionHeader{
		ApplicationAddress: h.Application, ServiceId: h.ServiceID, SessionId: h.SessionID,
		SessionStartBlockHeight: h.StartHeight, SessionEndBlockHeight: h.EndHeight,
	}}
}

func boolField(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// parseRecord decodes a Session hash.
func parseRecord(supplier, id string, m map[string]string) (Record, error) {
	r := Record{Supplier: supplier, Header: &sessiontypes.SessionHeader{}}
	if err := r.Header.Unmarshal([]byte(m[fHeader])); err != nil {
		return Record{}, fmt.Errorf("decode session %s header: %w", id, err)
	}
	if r.Header.SessionId != id {
		return Record{}, fmt.Errorf("decode session %s: header names session %q", id, r.Header.SessionId)
	}
	if w := m[fWindows]; w != "" {
		if err := json.Unmarshal([]byte(w), &r.Windows); err != nil {
			return Record{}, fmt.Errorf("decode session %s windows: %w", id, err)
		}
	}
	s := Session{ID: id, State: State(m[fState]), Reason: Reason(m[fReason]),
		Requirement: Requirement(m[fReq]), InFlight: m[fInFlight] == "1", TxHash: m[fTxHash],
		TreeDeleted: m[fTreeGone] == "1", Error: m[fError]}
	if root := m[fRoot]; root != "" {
		s.Root = []byte(root)
	}
	var err error
	ints := []struct {
		f string
		p *int64
	}{{fLast, &s.LastAttempt}}
	for _, x := range ints {
		if *x.p, err = strconv.ParseInt(m[x.f], 10, 64); err != nil {
			return Record{}, fmt.Errorf("decode session %s %s: %w", id, x.f, err)
		}
	}
	if s.ClaimAttempts, err = strconv.Atoi(m[fClaimTries]); err != nil {
		return Record{}, fmt.Errorf("decode session %s %s: %w", id, fClaimTries, err)
	}
	if s.ProofAttempts, err = strconv.Atoi(m[fProofTries]); err != nil {
		return Record{}, fmt.Errorf("decode session %s %s: %w", id, fProofTries, err)
	}
	if !validState(s.State) {
		return Record{}, fmt.Errorf("decode session %s: unknown state %q", id, s.State)
	}
	r.Session = s
	return r, nil
}

func validState(s State) bool {
	for _, x := range AllStates {
		if s == x {
			return true
		}
	}
	return false
}

// StateStoreConfig sizes the persisted state.
type StateStoreConfig struct {
	// BlockTime converts block counts to TTLs. Required, > 0.
	BlockTime time.Duration
	// TTLSessions keeps a session's keys this many session lengths after its settlement
	// (config sessions.state_ttl_sessions). Required, ≥ 1.
	TTLSessions int64
	// SubmissionsCap bounds the Submissions list. Default 256.
	SubmissionsCap int64
}

// StateStore persists session records in Redis: one hash per session
// (transport.Keys.Session), the supplier's index sorted by end height
// (transport.Keys.SessionIndex) and its capped list of tx submissions
// (transport.Keys.Submissions). All keys of a supplier share its {operator} hash tag, and every
// write is one MULTI/EXEC fenced by the supplier's lease, so a replica that lost the lease
// writes nothing. Every key carries a TTL reaching TTLSessions session lengths past the
// session's settlement height (needs Redis ≥ 7.0 for EXPIRE NX/GT). Save gives the same TTL to
// the session's tree keys (TreeNodes, TreeMeta) while its tree is not deleted: exactly once the
// windows are known (replacing the consumer's conservative TreeTTLBound), before that only
// extending it.
type StateStore struct {
	rdb  redis.UniversalClient
	keys transport.Keys
	cfg  StateStoreConfig
}

// NewStateStore validates cfg; it does no I/O.
func NewStateStore(rdb redis.UniversalClient, keys transport.Keys, cfg StateStoreConfig) (*StateStore, error) {
	if cfg.BlockTime <= 0 {
		return nil, errors.New("session state store: block time must be positive")
	}
	if cfg.TTLSessions < 1 {
		return nil, errors.New("session state store: ttl sessions must be at least 1")
	}
	if cfg.SubmissionsCap <= 0 {
		cfg.SubmissionsCap = 256
	}
	return &StateStore{rdb: rdb, keys: keys, cfg: cfg}, nil
}

// ttl returns how long r's keys live when saved at height: until TTLSessions session lengths
// after settlement (proof window close). Before the windows are known the session end and
// length from the header stand in.
func (st *StateStore) ttl(r Record, height int64) time.Duration {
	until, n := r.Windows.ProofClose, r.Windows.NumBlocks
	if !r.Windows.Valid() {
		n = r.Header.SessionEndBlockHeight - r.Header.SessionStartBlockHeight + 1
		until = r.Header.SessionEndBlockHeight + 2*n
	}
	blocks := max(until-height, 0) + st.cfg.TTLSessions*max(n, 1)
	return time.Duration(blocks) * st.cfg.BlockTime
}

// Save writes recs, all of supplier f's, at height in one fenced transaction. It returns an
// error wrapping leader.ErrLeaseLost when f no longer holds the supplier.
func (st *StateStore) Save(ctx context.Context, f leader.Fence, height int64, recs ...Record) error {
	if len(recs) == 0 {
		return nil
	}
	op := recs[0].Supplier
	idx := st.keys.SessionIndex(op)
	var longest time.Duration
	type write struct {
		key    string
		fields []any
		ttl    time.Duration
		end    int64
		id     string
		tree   bool // the session's tree keys still exist: give them the same expiry
		exact  bool // the windows are known: the expiry is set as is, tightened or extended
	}
	writes := make([]write, 0, len(recs))
	for _, r := range recs {
		if r.Supplier != op {
			return fmt.Errorf("save sessions: records of %s and %s in one save", op, r.Supplier)
		}
		fs, err := r.fields(height)
		if err != nil {
			return err
		}
		ttl := st.ttl(r, height)
		longest = max(longest, ttl)
		writes = append(writes, write{st.keys.Session(op, r.Session.ID), fs, ttl, r.Header.SessionEndBlockHeight, r.Session.ID,
			!r.Session.TreeDeleted, r.Windows.Valid()})
	}
	err := f.Tx(ctx, st.rdb, func(p redis.Pipeliner) error {
		for _, w := range writes {
			p.HSet(ctx, w.key, w.fields...)
			p.Expire(ctx, w.key, w.ttl)
			p.ZAdd(ctx, idx, redis.Z{Score: float64(w.end), Member: w.id})
			if !w.tree {
				continue
			}
			for _, k := range [...]string{st.keys.TreeNodes(op, w.id), st.keys.TreeMeta(op, w.id)} {
				if w.exact {
					p.Expire(ctx, k, w.ttl)
				} else {
					p.ExpireNX(ctx, k, w.ttl)
					p.ExpireGT(ctx, k, w.ttl)
				}
			}
		}
		p.ExpireNX(ctx, idx, longest)
		p.ExpireGT(ctx, idx, longest)
		return nil
	})
	if err != nil {
		return fmt.Errorf("save %d sessions of %s: %w", len(recs), op, err)
	}
	return nil
}

// Load reads every session of supplier op still in its index, oldest end height first.
// Index members whose hash expired are dropped from the result (and from the index by the
// next Forget).
func (st *StateStore) Load(ctx context.Context, op string) ([]Record, []string, error) {
	ids, err := st.rdb.ZRange(ctx, st.keys.SessionIndex(op), 0, -1).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("load sessions of %s: %w", op, err)
	}
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	_, err = st.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, st.keys.Session(op, id))
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("load sessions of %s: %w", op, err)
	}
	var (
		recs    []Record
		expired []string
	)
	for i, c := range cmds {
		m := c.Val()
		if len(m) == 0 {
			expired = append(expired, ids[i])
			continue
		}
		r, err := parseRecord(op, ids[i], m)
		if err != nil {
			return nil, nil, fmt.Errorf("load sessions of %s: %w", op, err)
		}
		recs = append(recs, r)
	}
	return recs, expired, nil
}

// Forget removes sessions ids of op from the index and deletes their hashes.
func (st *StateStore) Forget(ctx context.Context, f leader.Fence, op string, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	err := f.Tx(ctx, st.rdb, func(p redis.Pipeliner) error {
		members := make([]any, len(ids))
		for i, id := range ids {
			members[i] = id
			p.Del(ctx, st.keys.Session(op, id))
		}
		p.ZRem(ctx, st.keys.SessionIndex(op), members...)
		return nil
	})
	if err != nil {
		return fmt.Errorf("forget %d sessions of %s: %w", len(ids), op, err)
	}
	return nil
}

// AppendSubmission pushes the JSON of sub onto op's Submissions list (newest first), trims it
// to SubmissionsCap and gives it ttl.
func (st *StateStore) AppendSubmission(ctx context.Context, f leader.Fence, op string, sub tx.Submission, ttl time.Duration) error {
	b, err := json.Marshal(sub)
	if err != nil {
		return fmt.Errorf("encode %s submission of %s: %w", sub.Kind, op, err)
	}
	key := st.keys.Submissions(op)
	err = f.Tx(ctx, st.rdb, func(p redis.Pipeliner) error {
		p.LPush(ctx, key, b)
		p.LTrim(ctx, key, 0, st.cfg.SubmissionsCap-1)
		p.ExpireNX(ctx, key, ttl)
		p.ExpireGT(ctx, key, ttl)
		return nil
	})
	if err != nil {
		return fmt.Errorf("append %s submission of %s: %w", sub.Kind, op, err)
	}
	return nil
}

// Submissions returns up to n of op's latest submissions, newest first.
func (st *StateStore) Submissions(ctx context.Context, op string, n int64) ([]tx.Submission, error) {
	raw, err := st.rdb.LRange(ctx, st.keys.Submissions(op), 0, n-1).Result()
	if err != nil {
		return nil, fmt.Errorf("read submissions of %s: %w", op, err)
	}
	out := make([]tx.Submission, len(raw))
	for i, s := range raw {
		if err := json.Unmarshal([]byte(s), &out[i]); err != nil {
			return nil, fmt.Errorf("decode submission %d of %s: %w", i, op, err)
		}
	}
	return out, nil
}
