package keys

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// Manager holds the supplier keys loaded from the configured sources and reloads them when the
// sources change. Get and Addresses are lock-free; all methods are safe for concurrent use.
type Manager struct {
	opts    Options
	log     zerolog.Logger
	metrics *metrics

	set      atomic.Pointer[keySet] // never nil after New
	reloadMu sync.Mutex             // serializes loads and the publication of their result
	running  atomic.Bool            // Run is active

	subsMu sync.Mutex
	subs   map[*subscription]struct{}

	testHookWatching func()          // called by Run once its watches are in place; tests only
	testHookReloaded func(err error) // called by Run after each reload; tests only
}

// New loads the keys of every source in opts once. It fails if no source is configured, if any
// source fails (the error names it), or if the sources hold no key at all. Metrics are
// registered with reg. New starts no goroutine; call Run to follow changes.
func New(opts Options, log zerolog.Logger, reg prometheus.Registerer) (*Manager, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("supplier keys: %w", err)
	}
	if reg == nil {
		return nil, errors.New("supplier keys: nil prometheus registerer")
	}
	m := &Manager{
		opts: opts,
		log:  log.With().Str("component", "keys").Logger(),
		subs: map[*subscription]struct{}{},
	}
	set, err := m.load(nil)
	if err != nil {
		return nil, fmt.Errorf("supplier keys: %w", err)
	}
	if m.metrics, err = newMetrics(reg); err != nil {
		return nil, err
	}
	m.set.Store(set)
	m.metrics.loaded.Set(float64(len(set.addrs)))
	m.log.Info().Int("keys", len(set.addrs)).Strs("addresses", set.addrs).Msg("supplier keys loaded")
	return m, nil
}

// Get returns the signer of a supplier operator address (bech32 "pokt1…"). It takes no lock and
// does not allocate. The signer stays valid after a reload removes its key; it is only no longer
// returned.
func (m *Manager) Get(operatorAddr string) (*Signer, bool) {
	s, ok := m.set.Load().byAddr[operatorAddr]
	return s, ok
}

// Addresses returns the loaded operator addresses, sorted. The caller owns the slice.
func (m *Manager) Addresses() []string {
	return slices.Clone(m.set.Load().addrs)
}

// Reload reads every source again now. On success the new key set replaces the old one and
// subscribers are signalled if the set of addresses changed. On failure the previous set stays
// in place and the error is returned, logged and counted. Run calls it on file changes; a caller
// may also call it, for example on SIGHUP.
func (m *Manager) Reload() error {
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	prev := m.set.Load()
	next, err := m.load(prev)
	if err != nil {
		m.metrics.reloadError.Inc()
		m.log.Error().Err(err).Int("keys", len(prev.addrs)).Msg("supplier key reload failed; keeping the previous keys")
		return err
	}
	m.metrics.reloadSuccess.Inc()
	added, removed := diff(prev, next)
	changed := len(added) > 0 || len(removed) > 0 || !sameSigners(prev, next)
	if changed {
		m.set.Store(next)
		m.metrics.loaded.Set(float64(len(next.addrs)))
	}
	ev := m.log.Debug()
	if len(added) > 0 || len(removed) > 0 {
		ev = m.log.Info()
	}
	ev.Int("added", len(added)).Int("removed", len(removed)).Int("keys", len(next.addrs)).
		Strs("added_addresses", added).Strs("removed_addresses", removed).Msg("supplier keys reloaded")
	if changed {
		m.notify()
	}
	return nil
}

// sameSigners reports whether two sets hold the same signer values for the same addresses.
func sameSigners(a, b *keySet) bool {
	if len(a.byAddr) != len(b.byAddr) {
		return false
	}
	for addr, s := range a.byAddr {
		if b.byAddr[addr] != s {
			return false
		}
	}
	return true
}

// load reads all sources into a new set; prev lends its unchanged signers.
func (m *Manager) load(prev *keySet) (*keySet, error) {
	b := newKeySetBuilder(prev)
	var errs []error
	if m.opts.HexFile != "" {
		errs = append(errs, loadHexFile(m.opts.HexFile, b))
	}
	if m.opts.Dir != "" {
		errs = append(errs, loadDir(m.opts.Dir, b))
	}
	if m.opts.Keyring != nil {
		errs = append(errs, loadKeyring(m.opts.Keyring, b))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	set := b.build()
	if len(set.addrs) == 0 {
		return nil, fmt.Errorf("no keys found in %s", m.opts.sources())
	}
	return set, nil
}

// sources describes the configured sources for messages.
func (o Options) sources() string {
	var s []string
	if o.HexFile != "" {
		s = append(s, "hex key file "+o.HexFile)
	}
	if o.Dir != "" {
		s = append(s, "key directory "+o.Dir)
	}
	if kr := o.Keyring; kr != nil {
		where := "keyring " + kr.Backend
		if kr.Dir != "" {
			where += " at " + kr.Dir
		}
		s = append(s, where)
	}
	return joinWords(s)
}

func joinWords(s []string) string {
	switch len(s) {
	case 0:
		return "no source"
	case 1:
		return s[0]
	}
	out := s[0]
	for _, w := range s[1 : len(s)-1] {
		out += ", " + w
	}
	return out + " and " + s[len(s)-1]
}
