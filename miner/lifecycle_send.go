package miner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/shannon-ops/pocket-relay-miner/leader"
	"github.com/shannon-ops/pocket-relay-miner/tx"
)

// A send is one claim or proof tx of one session group (one end height) on its way to the
// chain. It runs in its own goroutine, so a tx that takes blocks to land (or never does) holds
// up only its own group: the Runner's block loop goes on claiming and proving the others. Its
// outcome comes back through Runner.results and is applied on the Runner's goroutine (collect),
// which alone touches the records, so the Runner stays single-threaded. At most one send runs
// per (end height, kind); its sessions are persisted in flight before it starts, so a new owner
// looks them up instead of sending them again.

// sendKey names one send of a supplier.
type sendKey struct {
	kind tx.Kind
	end  int64
}

// sendResult is what a send hands back to the Runner.
type sendResult struct {
	key sendKey
	ids []string // the sessions of the messages, in message order
	sub tx.Submission
	err error
	w   Windows
}

// running is a send not yet collected. hashes (per message: the tx that carries it, once it
// reached the node) is written by the send's goroutine through tx.Options.OnBroadcast and read
// by the Runner's at each block, so the hash is persisted while the tx is still unconfirmed.
type running struct {
	cancel context.CancelFunc
	ids    []string

	mu     sync.Mutex
	hashes []string
}

func (s *running) noteBroadcast(hash string, msgs []int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, i := range msgs {
		if i >= 0 && i < len(s.hashes) {
			s.hashes[i] = hash
		}
	}
}

func (s *running) broadcastHashes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.hashes)
}

// resultsCap bounds the outcomes waiting for the Runner; a send whose outcome does not fit
// waits (or ends with its context).
const resultsCap = 16

// busy reports whether a send of key is running.
func (r *Runner) busy(key sendKey) bool {
	_, ok := r.sends[key]
	return ok
}

// startSend runs SubmitBatch of msgs (the messages of sessions ids, which the caller has
// persisted in flight) in a goroutine that ends when the tx is decided or ctx (the worker's)
// ends; Close cancels it and waits for it.
func (r *Runner) startSend(ctx context.Context, key sendKey, ids []string, msgs []sdk.Msg, opts tx.Options, w Windows) {
	sctx, cancel := context.WithCancel(ctx)
	run := &running{cancel: cancel, ids: ids, hashes: make([]string, len(ids))}
	r.sends[key] = run
	opts.OnBroadcast = run.noteBroadcast
	for _, id := range ids {
		r.sending[id] = true
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer cancel()
		sub, err := r.txs.SubmitBatch(sctx, r.cfg.Signer, msgs, opts)
		res := sendResult{key: key, ids: ids, sub: sub, err: err, w: w}
		select {
		case r.results <- res:
		case <-sctx.Done():
			// The worker stops: the sessions stay in flight in Redis and the next owner looks
			// them up.
		}
	}()
}

// collect applies the outcome of every send that finished, without waiting for the others,
// and persists the tx hashes the running ones have broadcast so far.
func (r *Runner) collect(ctx context.Context, height int64) error {
	var errs []error
	for done := false; !done; {
		select {
		case res := <-r.results:
			if err := r.finish(ctx, height, res); err != nil {
				if errors.Is(err, leader.ErrLeaseLost) {
					return err
				}
				errs = append(errs, err)
			}
		default:
			done = true
		}
	}
	return errors.Join(append(errs, r.saveBroadcasts(ctx, height))...)
}

// saveBroadcasts records, and persists, the txs the running sends have broadcast.
func (r *Runner) saveBroadcasts(ctx context.Context, height int64) error {
	var dirty []*Record
	for _, s := range r.sends {
		for i, h := range s.broadcastHashes() {
			rec, ok := r.recs[s.ids[i]]
			if !ok || h == "" || h == rec.Session.TxHash {
				continue
			}
			if r.apply(rec, rec.Session.OnBroadcast(h)) {
				dirty = append(dirty, rec)
			}
		}
	}
	return r.save(ctx, height, dirty)
}

// finish applies one send's outcome to its sessions and persists them at height.
func (r *Runner) finish(ctx context.Context, height int64, res sendResult) error {
	if s, ok := r.sends[res.key]; ok {
		s.cancel()
		delete(r.sends, res.key)
	}
	for _, id := range res.ids {
		delete(r.sending, id)
	}
	var errs []error
	if res.err != nil {
		errs = append(errs, fmt.Errorf("submit %d %ss of sessions ending at %d: %w", len(res.ids), res.key.kind, res.key.end, res.err))
	}
	var dirty []*Record
	for i, o := range outcomes(res.sub, len(res.ids)) {
		rec, ok := r.recs[res.ids[i]]
		if !ok {
			continue
		}
		switch res.key.kind {
		case tx.KindClaim:
			r.m.claims.WithLabelValues(r.cfg.Supplier, outcomeLabel(o.o)).Inc()
			if o.o == TxIncluded && rec.Session.State == StateClaiming {
				r.countClaimed(rec.Session.Root)
			}
			r.apply(rec, rec.Session.OnClaim(o.o, o.hash, o.text))
		case tx.KindProof:
			r.m.proofs.WithLabelValues(r.cfg.Supplier, outcomeLabel(o.o)).Inc()
			r.apply(rec, rec.Session.OnProof(o.o, o.hash, o.text))
		}
		dirty = append(dirty, rec)
	}
	if len(res.sub.Messages) > 0 {
		if err := r.recordSubmission(ctx, res.sub, res.w, height); err != nil {
			return err
		}
	}
	return errors.Join(append(errs, r.save(ctx, height, dirty))...)
}

// stopSends cancels every running send and waits for their goroutines.
func (r *Runner) stopSends() {
	for _, s := range r.sends {
		s.cancel()
	}
	r.wg.Wait()
	r.sends = map[sendKey]*running{}
	r.sending = map[string]bool{}
}
