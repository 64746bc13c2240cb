package miner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	sdk "github.com/cosmos/cosmos-sdk/types"
	prooftypes "github.com/pokt-network/poktroll/x/proof/types"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	"github.com/pokt-network/smt"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/leader"
	"github.com/shannon-ops/pocket-relay-miner/tx"
)

// Chain is what the lifecycle reads from the chain (package cache's Chain and query's Client
// behind a small adapter).
type Chain interface {
	// SharedParamsAt returns the shared params in force at height.
	SharedParamsAt(ctx context.Context, height int64) (*sharedtypes.Params, error)
	// CUPRAt returns the service's compute units per relay at height.
	CUPRAt(ctx context.Context, service string, height int64) (uint64, error)
	// DifficultyAt returns the service's relay mining difficulty at height.
	DifficultyAt(ctx context.Context, service string, height int64) (*servicetypes.RelayMiningDifficulty, error)
	// ProofParams returns the live proof module params.
	ProofParams(ctx context.Context) (*prooftypes.Params, error)
	// BlockHash returns the CometBFT hash of the block at height.
	BlockHash(ctx context.Context, height int64) ([]byte, error)
	// Claim returns the operator's claim for the session, or nil and no error when there is
	// none.
	Claim(ctx context.Context, sessionID, operator string) (*prooftypes.Claim, error)
	// Balance returns the account's live balance in denom (claims are sent only if the
	// operator can pay for them and their proofs).
	Balance(ctx context.Context, address, denom string) (sdk.Coin, error)
}

// Trees gives the lifecycle access to one supplier's session trees.
type Trees interface {
	// Root returns the committed 48-byte root of the session's tree (48 zero bytes if empty).
	Root(ctx context.Context, sessionID string) ([]byte, error)
	// ProveClosest returns the closest proof for path in the session's tree.
	ProveClosest(ctx context.Context, sessionID string, path []byte) (*smt.SparseMerkleClosestProof, error)
	// Delete removes the session's tree.
	Delete(ctx context.Context, sessionID string) error
}

// Submitter sends a batch of messages in one tx and looks txs up by hash (tx.Client).
type Submitter interface {
	SubmitBatch(ctx context.Context, signer tx.Signer, msgs []sdk.Msg, opts tx.Options) (tx.Submission, error)
	// Lookup returns the included tx with hash; found is false while the node does not know it.
	Lookup(ctx context.Context, hash string) (res tx.Result, found bool, err error)
}

// RunnerConfig configures one supplier's lifecycle.
type RunnerConfig struct {
	// Supplier is the operator address; Signer signs its claims and proofs.
	Supplier string
	Signer   tx.Signer
	// ClaimDelayBlocks and ProofDelayBlocks: config sessions.claim_delay_blocks and
	// proof_delay_blocks.
	ClaimDelayBlocks int64
	ProofDelayBlocks int64
	// MinClaimUPOKT skips (unprofitable) a claim whose estimated reward is below it. 0: never.
	MinClaimUPOKT uint64
	// Fees is what the operator pays in gas for one claim and one proof (NewFeeEstimate); with
	// the chain's proof_submission_fee it decides which claims are affordable.
	Fees FeeEstimate
}

// Runner drives the lifecycle of one supplier's sessions while this replica holds the
// supplier's lease: on each block it steps every session, performs the actions and persists
// every transition, a send's start before the send and its outcome after. It is not safe for
// concurrent use: one goroutine (the supplier's worker) calls Load once, then OnBlock, then
// Close. Claim and proof txs are sent and confirmed in goroutines of their own, one per session
// group and kind (lifecycle_send.go), whose outcomes OnBlock applies; Close stops them.
type Runner struct {
	cfg    RunnerConfig
	fence  leader.Fence
	store  *StateStore
	gate   *Gate
	trees  Trees
	chain  Chain
	txs    Submitter
	m      *LifecycleMetrics
	log    zerolog.Logger
	recs   map[string]*Record
	hashes map[int64][]byte // recent block hashes from the feed

	// Sends in flight (lifecycle_send.go): by key, the sessions they carry, and their
	// outcomes on the way back. Only the Runner's goroutine touches sends and sending.
	sends   map[sendKey]*running
	sending map[string]bool
	results chan sendResult
	wg      sync.WaitGroup
}

// NewRunner builds the Runner of cfg.Supplier; it does no I/O.
func NewRunner(cfg RunnerConfig, fence leader.Fence, store *StateStore, gate *Gate, trees Trees, chain Chain,
	txs Submitter, m *LifecycleMetrics, log zerolog.Logger) (*Runner, error) {
	if cfg.Supplier == "" || cfg.Signer == nil {
		return nil, errors.New("lifecycle runner: supplier and signer are required")
	}
	if store == nil || gate == nil || trees == nil || chain == nil || txs == nil || m == nil {
		return nil, fmt.Errorf("lifecycle runner of %s: missing dependency", cfg.Supplier)
	}
	if cfg.ClaimDelayBlocks < 0 || cfg.ProofDelayBlocks < 0 {
		return nil, fmt.Errorf("lifecycle runner of %s: negative delay", cfg.Supplier)
	}
	m.initSupplier(cfg.Supplier)
	return &Runner{cfg: cfg, fence: fence, store: store, gate: gate, trees: trees, chain: chain, txs: txs, m: m,
		log: log.With().Str("supplier", cfg.Supplier).Logger(), recs: map[string]*Record{}, hashes: map[int64][]byte{},
		sends: map[sendKey]*running{}, sending: map[string]bool{}, results: make(chan sendResult, resultsCap)}, nil
}

// Load reads the supplier's persisted sessions (on takeover) and primes the gate: sealed
// sessions stay sealed, and sends whose outcome was unknown are looked up before any resend.
func (r *Runner) Load(ctx context.Context) error {
	recs, expired, err := r.store.Load(ctx, r.cfg.Supplier)
	if err != nil {
		return err
	}
	for i := range recs {
		rec := recs[i]
		r.recs[rec.Session.ID] = &rec
		r.gate.track(r.cfg.Supplier, rec.Session.ID, rec.Session.Sealed())
		r.m.transition(r.cfg.Supplier, Session{}, rec.Session)
	}
	return r.store.Forget(ctx, r.fence, r.cfg.Supplier, expired...)
}

// Close stops the sends still in flight (waiting for their goroutines; their sessions stay in
// flight in Redis, for the next owner to look up) and drops the supplier's sessions from the
// gate and the metrics; call it once the worker stopped.
func (r *Runner) Close() {
	r.stopSends()
	for _, rec := range r.recs {
		r.m.transition(r.cfg.Supplier, rec.Session, Session{})
	}
	r.recs = map[string]*Record{}
	r.gate.forgetSupplier(r.cfg.Supplier)
	r.m.deleteSupplier(r.cfg.Supplier)
}

// Sessions returns a copy of the tracked records, oldest end height first (for tests and
// debugging).
func (r *Runner) Sessions() []Record {
	out := make([]Record, 0, len(r.recs))
	for _, rec := range r.recs {
		out = append(out, *rec)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Header.SessionEndBlockHeight != out[j].Header.SessionEndBlockHeight {
			return out[i].Header.SessionEndBlockHeight < out[j].Header.SessionEndBlockHeight
		}
		return out[i].Session.ID < out[j].Session.ID
	})
	return out
}

// maxRounds bounds the step/act rounds of one block (seal → claim, decide → prove, delete).
const maxRounds = 5

// OnBlock processes height, the newest committed block (hash may be nil). Heights may be
// skipped or repeated: every decision depends on the height alone. An error wrapping
// leader.ErrLeaseLost means the supplier must be stopped; any other error is retried with the
// next block.
func (r *Runner) OnBlock(ctx context.Context, height int64, hash []byte) error {
	r.rememberHash(height, hash)
	var errs []error
	if err := r.collect(ctx, height); err != nil {
		if errors.Is(err, leader.ErrLeaseLost) || ctx.Err() != nil {
			return err
		}
		errs = append(errs, err)
	}
	if err := r.register(ctx, height); err != nil {
		if errors.Is(err, leader.ErrLeaseLost) || ctx.Err() != nil {
			return err
		}
		errs = append(errs, err) // the other sessions still step
	}
	for range maxRounds {
		changed, err := r.round(ctx, height)
		if err != nil {
			if errors.Is(err, leader.ErrLeaseLost) || ctx.Err() != nil {
				return err
			}
			errs = append(errs, err)
		}
		if !changed {
			break
		}
	}
	r.dropOld(height)
	return errors.Join(errs...)
}

func (r *Runner) rememberHash(height int64, hash []byte) {
	if len(hash) == 0 {
		return
	}
	r.hashes[height] = append([]byte(nil), hash...)
	for h := range r.hashes {
		if h < height-256 {
			delete(r.hashes, h)
		}
	}
}

// register adds the sessions the gate saw, and computes the windows of sessions that ended.
func (r *Runner) register(ctx context.Context, height int64) error {
	var dirty []Record
	for _, h := range r.gate.drain(r.cfg.Supplier) {
		if _, ok := r.recs[h.SessionID]; ok {
			continue
		}
		h.Supplier = r.cfg.Supplier
		fresh := initialRecord(h)
		rec := &fresh
		r.recs[h.SessionID] = rec
		r.m.transition(r.cfg.Supplier, Session{}, rec.Session)
		dirty = append(dirty, *rec)
	}
	var errs []error
	for _, rec := range r.recs {
		end := rec.Header.SessionEndBlockHeight
		if rec.Windows.Valid() || height < end {
			continue
		}
		p, err := r.chain.SharedParamsAt(ctx, end)
		if err == nil {
			rec.Windows, err = NewWindows(p, end, r.cfg.ClaimDelayBlocks, r.cfg.ProofDelayBlocks)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("windows of session %s: %w", rec.Session.ID, err))
			continue
		}
		dirty = append(dirty, *rec)
	}
	if err := r.store.Save(ctx, r.fence, height, dirty...); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// round steps every session once and performs the resulting actions; it reports whether any
// session changed.
func (r *Runner) round(ctx context.Context, height int64) (bool, error) {
	byAction := map[Action][]*Record{}
	var changed []*Record
	for _, id := range r.sortedIDs() {
		rec := r.recs[id]
		next, acts := rec.Session.Step(height, rec.Windows)
		if r.apply(rec, next) {
			changed = append(changed, rec)
		}
		for _, a := range acts {
			byAction[a] = append(byAction[a], rec)
		}
	}
	if err := r.save(ctx, height, changed); err != nil {
		return false, err
	}
	var errs []error
	moved := len(changed) > 0
	for _, a := range []Action{ActDeleteTree, ActMarkSettled, ActSealTree, ActCheckClaim, ActCheckProof, ActFetchSeed, ActSubmitClaim, ActSubmitProof} {
		recs := byAction[a]
		if len(recs) == 0 {
			continue
		}
		before := snapshot(recs)
		err := r.perform(ctx, height, a, recs)
		if err != nil {
			if errors.Is(err, leader.ErrLeaseLost) {
				return false, err
			}
			errs = append(errs, fmt.Errorf("%s: %w", a, err))
		}
		var dirty []*Record
		for i, rec := range recs {
			if !sameSession(before[i], rec.Session) {
				dirty = append(dirty, rec)
			}
		}
		if err := r.save(ctx, height, dirty); err != nil {
			return false, err
		}
		moved = moved || len(dirty) > 0
	}
	return moved, errors.Join(errs...)
}

func (r *Runner) perform(ctx context.Context, height int64, a Action, recs []*Record) error {
	switch a {
	case ActDeleteTree:
		return r.each(recs, func(rec *Record) error { return r.deleteTree(ctx, rec) })
	case ActMarkSettled:
		return nil // counted by the transition; state TTLs expire the rest
	case ActSealTree:
		return r.each(recs, func(rec *Record) error { return r.seal(ctx, rec) })
	case ActCheckClaim:
		return r.each(r.notSending(recs), func(rec *Record) error { return r.checkClaim(ctx, height, rec) })
	case ActCheckProof:
		return r.each(r.notSending(recs), func(rec *Record) error { return r.checkProof(ctx, height, rec) })
	case ActFetchSeed:
		return r.each(recs, func(rec *Record) error { return r.decideProof(ctx, rec) })
	case ActSubmitClaim:
		return r.eachGroup(recs, func(g []*Record) error { return r.submitClaims(ctx, height, g) })
	case ActSubmitProof:
		return r.eachGroup(recs, func(g []*Record) error { return r.submitProofs(ctx, height, g) })
	}
	return fmt.Errorf("unknown action %q", a)
}

// apply replaces rec's session with next, counting the transition; it reports a change.
func (r *Runner) apply(rec *Record, next Session) bool {
	if sameSession(rec.Session, next) {
		return false
	}
	r.m.transition(r.cfg.Supplier, rec.Session, next)
	if next.State != rec.Session.State {
		r.log.Info().Str("session", next.ID).Str("from", string(rec.Session.State)).Str("to", string(next.State)).
			Str("reason", string(next.Reason)).Msg("session state")
	}
	rec.Session = next
	return true
}

func (r *Runner) save(ctx context.Context, height int64, recs []*Record) error {
	if len(recs) == 0 {
		return nil
	}
	vals := make([]Record, len(recs))
	for i, rec := range recs {
		vals[i] = *rec
	}
	return r.store.Save(ctx, r.fence, height, vals...)
}

func (r *Runner) each(recs []*Record, f func(*Record) error) error {
	var errs []error
	for _, rec := range recs {
		if err := f(rec); err != nil {
			if errors.Is(err, leader.ErrLeaseLost) {
				return err
			}
			errs = append(errs, fmt.Errorf("session %s: %w", rec.Session.ID, err))
		}
	}
	return errors.Join(errs...)
}

// eachGroup calls f once per session end height: one tx per supplier per end height.
func (r *Runner) eachGroup(recs []*Record, f func([]*Record) error) error {
	groups := map[int64][]*Record{}
	var ends []int64
	for _, rec := range recs {
		e := rec.Header.SessionEndBlockHeight
		if _, ok := groups[e]; !ok {
			ends = append(ends, e)
		}
		groups[e] = append(groups[e], rec)
	}
	sort.Slice(ends, func(i, j int) bool { return ends[i] < ends[j] })
	var errs []error
	for _, e := range ends {
		if err := f(groups[e]); err != nil {
			if errors.Is(err, leader.ErrLeaseLost) {
				return err
			}
			errs = append(errs, fmt.Errorf("sessions ending at %d: %w", e, err))
		}
	}
	return errors.Join(errs...)
}

// notSending drops the sessions whose send is still running here: its outcome will tell.
func (r *Runner) notSending(recs []*Record) []*Record {
	out := recs[:0:0]
	for _, rec := range recs {
		if !r.sending[rec.Session.ID] {
			out = append(out, rec)
		}
	}
	return out
}

func (r *Runner) sortedIDs() []string {
	ids := make([]string, 0, len(r.recs))
	for id := range r.recs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// dropOld forgets, in memory, final sessions whose tree is gone and whose relays can no longer
// arrive; their Redis state expires by TTL.
func (r *Runner) dropOld(height int64) {
	for id, rec := range r.recs {
		w := rec.Windows
		if rec.Session.Final() && rec.Session.TreeDeleted && w.Valid() && height > w.ProofClose+w.NumBlocks {
			r.m.transition(r.cfg.Supplier, rec.Session, Session{})
			delete(r.recs, id)
			r.gate.forget(r.cfg.Supplier, id)
		}
	}
}

func snapshot(recs []*Record) []Session {
	out := make([]Session, len(recs))
	for i, rec := range recs {
		out[i] = rec.Session
	}
	return out
}

func sameSession(a, b Session) bool {
	return a.State == b.State && a.Reason == b.Reason && bytes.Equal(a.Root, b.Root) &&
		a.Requirement == b.Requirement && a.ClaimAttempts == b.ClaimAttempts &&
		a.ProofAttempts == b.ProofAttempts && a.LastAttempt == b.LastAttempt &&
		a.InFlight == b.InFlight && a.TxHash == b.TxHash && a.TreeDeleted == b.TreeDeleted && a.Error == b.Error
}

func (r *Runner) deleteTree(ctx context.Context, rec *Record) error {
	if err := r.trees.Delete(ctx, rec.Session.ID); err != nil {
		return err
	}
	r.apply(rec, rec.Session.OnTreeDeleted())
	return nil
}

// txOutcome is the lifecycle's view of one message of a submission.
type txOutcome struct {
	o    TxOutcome
	hash string // the tx that carried it, when one reached the node
	text string // the error, for operators
}

// outcomes maps the per-message fate of a submission to lifecycle outcomes. Only what is
// known not to be on chain is failed: refused by Simulate or CheckTx, failed in its block, or
// never broadcast. A tx that reached the node and was not found (pending, or past its timeout
// height per the tx client) is unknown: it is looked up by hash and claim before any resend, so
// a slow tx is never sent twice. Without a complete record every message is unknown.
func outcomes(sub tx.Submission, n int) []txOutcome {
	out := make([]txOutcome, n)
	for i := range out {
		out[i].o = TxUnknown
	}
	if len(sub.Messages) != n {
		return out
	}
	for i, m := range sub.Messages {
		out[i].hash, out[i].text = m.TxHash, m.Error
		switch {
		case m.Status == tx.MessageIncluded:
			out[i].o = TxIncluded
		case m.Status == tx.MessageFailed && m.Reason == tx.ReasonTimeout && m.TxHash != "":
			out[i].o = TxUnknown
		case m.Status == tx.MessageFailed, m.Status == tx.MessageNotAttempted:
			out[i].o = TxFailed
		}
	}
	return out
}

func outcomeLabel(o TxOutcome) string {
	switch o {
	case TxIncluded:
		return outcomeIncluded
	case TxFailed:
		return outcomeFailed
	}
	return outcomeUnknown
}

// recordSubmission persists sub for redis-debug; a failure is logged, never fatal, unless the
// lease is lost.
func (r *Runner) recordSubmission(ctx context.Context, sub tx.Submission, w Windows, height int64) error {
	ttl := r.store.ttl(Record{Windows: w}, height)
	err := r.store.AppendSubmission(ctx, r.fence, r.cfg.Supplier, sub, ttl)
	if err != nil && !errors.Is(err, leader.ErrLeaseLost) {
		r.log.Warn().Err(err).Msg("persist submission")
		return nil
	}
	return err
}
