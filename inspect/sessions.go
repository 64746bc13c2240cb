package inspect

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/shannon-ops/pocket-relay-miner/miner"
	"github.com/shannon-ops/pocket-relay-miner/tx"
)

// SessionRow is one persisted (supplier, session) record.
type SessionRow struct {
	Supplier      string `json:"supplier"`
	SessionID     string `json:"session_id"`
	Service       string `json:"service"`
	Application   string `json:"application"`
	StartHeight   int64  `json:"start_height"`
	EndHeight     int64  `json:"end_height"`
	ClaimOpen     int64  `json:"claim_open,omitempty"`
	ProofClose    int64  `json:"proof_close,omitempty"`
	State         string `json:"state"`
	Reason        string `json:"reason"`
	Requirement   string `json:"requirement"`
	Root          string `json:"root"` // hex of the sealed claim root, "" until sealed
	ClaimAttempts int    `json:"claim_attempts"`
	ProofAttempts int    `json:"proof_attempts"`
	LastAttempt   int64  `json:"last_attempt"`
	InFlight      bool   `json:"in_flight"`
	TxHash        string `json:"tx_hash,omitempty"` // the tx of the latest claim or proof send, once known
	TreeDeleted   bool   `json:"tree_deleted"`
	Error         string `json:"error"`
}

// Sessions is the answer of Sessions.
type Sessions struct {
	Sessions []SessionRow `json:"sessions"`
	// Expired lists index members whose session hash has expired, as "<supplier>/<session>".
	Expired []string `json:"expired"`
}

// Sessions reads the persisted sessions of supplier (every supplier with a session index when
// empty) through miner.StateStore.Load, keeping those in state (all when empty).
func (in *Inspector) Sessions(ctx context.Context, supplier, state string) (*Sessions, error) {
	if state != "" && !knownState(state) {
		return nil, usagef("state %q: want one of %v", state, miner.AllStates)
	}
	ops := []string{supplier}
	if supplier == "" {
		var err error
		if ops, err = in.suppliersWith(ctx, in.keys.SessionIndex); err != nil {
			return nil, err
		}
	}
	out := &Sessions{Sessions: []SessionRow{}, Expired: []string{}}
	for _, op := range ops {
		recs, expired, err := in.states.Load(ctx, op)
		if err != nil {
			return nil, err
		}
		for _, id := range expired {
			out.Expired = append(out.Expired, op+"/"+id)
		}
		for _, r := range recs {
			if state != "" && string(r.Session.State) != state {
				continue
			}
			out.Sessions = append(out.Sessions, sessionRow(r))
		}
	}
	return out, nil
}

func knownState(s string) bool {
	for _, x := range miner.AllStates {
		if string(x) == s {
			return true
		}
	}
	return false
}

func sessionRow(r miner.Record) SessionRow {
	s := r.Session
	return SessionRow{
		Supplier: r.Supplier, SessionID: s.ID,
		Service: r.Header.ServiceId, Application: r.Header.ApplicationAddress,
		StartHeight: r.Header.SessionStartBlockHeight, EndHeight: r.Header.SessionEndBlockHeight,
		ClaimOpen: r.Windows.ClaimOpen, ProofClose: r.Windows.ProofClose,
		State: string(s.State), Reason: string(s.Reason), Requirement: string(s.Requirement),
		Root: hex.EncodeToString(s.Root), ClaimAttempts: s.ClaimAttempts, ProofAttempts: s.ProofAttempts,
		LastAttempt: s.LastAttempt, InFlight: s.InFlight, TxHash: s.TxHash, TreeDeleted: s.TreeDeleted, Error: s.Error,
	}
}

// Tree is the committed state of one (supplier, session) tree.
type Tree struct {
	Supplier    string `json:"supplier"`
	SessionID   string `json:"session_id"`
	Exists      bool   `json:"exists"`
	Root        string `json:"root"` // hex of the 48-byte committed root
	Count       uint64 `json:"count"`
	Sum         uint64 `json:"sum"`
	CUPR        uint64 `json:"cupr"`
	Service     string `json:"service"`
	Application string `json:"application"`
	StartHeight int64  `json:"start_height"`
	EndHeight   int64  `json:"end_height"`
	Nodes       int64  `json:"nodes"`        // HLEN of the nodes hash
	MetaTTLMs   int64  `json:"meta_ttl_ms"`  // -1 no expiry, -2 no key
	NodesTTLMs  int64  `json:"nodes_ttl_ms"` // -1 no expiry, -2 no key
}

// Fields of the TreeMeta hash as the miner writes them (README, "Redis key layout").
const (
	metaRoot, metaCount, metaSum, metaCUPR   = "root", "count", "sum", "cupr"
	metaApp, metaService, metaStart, metaEnd = "app", "service", "start", "end"
)

// Tree reads the committed root, count and sum of a tree and counts its nodes.
func (in *Inspector) Tree(ctx context.Context, supplier, sessionID string) (*Tree, error) {
	if supplier == "" || sessionID == "" {
		return nil, usagef("smst needs --supplier and --session")
	}
	metaKey, nodesKey := in.keys.TreeMeta(supplier, sessionID), in.keys.TreeNodes(supplier, sessionID)
	p := in.rdb.Pipeline() // both keys share the supplier's hash tag
	meta := p.HGetAll(ctx, metaKey)
	n := p.HLen(ctx, nodesKey)
	mttl, nttl := p.PTTL(ctx, metaKey), p.PTTL(ctx, nodesKey)
	if _, err := p.Exec(ctx); err != nil {
		return nil, fmt.Errorf("read tree %s: %w", metaKey, err)
	}
	m := meta.Val()
	t := &Tree{Supplier: supplier, SessionID: sessionID, Exists: len(m) > 0, Nodes: n.Val(),
		MetaTTLMs: ttlMillis(mttl.Val()), NodesTTLMs: ttlMillis(nttl.Val()),
		Root: hex.EncodeToString([]byte(m[metaRoot])), Service: m[metaService], Application: m[metaApp]}
	if !t.Exists {
		return t, nil
	}
	var err error
	for _, f := range []struct {
		name string
		u    *uint64
		i    *int64
	}{{metaCount, &t.Count, nil}, {metaSum, &t.Sum, nil}, {metaCUPR, &t.CUPR, nil},
		{metaStart, nil, &t.StartHeight}, {metaEnd, nil, &t.EndHeight}} {
		if f.u != nil {
			*f.u, err = strconv.ParseUint(m[f.name], 10, 64)
		} else {
			*f.i, err = strconv.ParseInt(m[f.name], 10, 64)
		}
		if err != nil {
			return nil, fmt.Errorf("tree %s field %s: %w", metaKey, f.name, err)
		}
	}
	return t, nil
}

// Submissions is the answer of Submissions: the supplier's latest claim and proof
// submissions, newest first, as miner.StateStore.Submissions returns them.
type Submissions struct {
	Supplier    string          `json:"supplier"`
	Submissions []tx.Submission `json:"submissions"`
}

// Submissions reads up to n of supplier's latest tx submissions.
func (in *Inspector) Submissions(ctx context.Context, supplier string, n int64) (*Submissions, error) {
	if supplier == "" {
		return nil, usagef("submissions needs --supplier")
	}
	if n <= 0 {
		return nil, usagef("-n %d: must be positive", n)
	}
	subs, err := in.states.Submissions(ctx, supplier, n)
	if err != nil {
		return nil, err
	}
	if subs == nil {
		subs = []tx.Submission{}
	}
	return &Submissions{Supplier: supplier, Submissions: subs}, nil
}
