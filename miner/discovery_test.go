package miner

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/query"
)

// dcKeys is a settable KeySource.
type dcKeys struct {
	mu      sync.Mutex
	addrs   []string
	changes chan struct{}
}

func (k *dcKeys) Addresses() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.addrs)
}

func (k *dcKeys) Subscribe() (<-chan struct{}, func()) { return k.changes, func() {} }

func (k *dcKeys) set(addrs ...string) {
	k.mu.Lock()
	k.addrs = addrs
	k.mu.Unlock()
	select {
	case k.changes <- struct{}{}:
	default:
	}
}

// dcChain answers supplier queries from a table: "staked", "no-services", "unstaked" (not
// found), "down" (a transient error), and the answers poktroll v0.1.35 gives for a leaving
// supplier: "deactivating" (no active service, a deactivated config not yet pruned) and
// "unbonding" (unstaked, history pruned, unbonding not over). Balances are 1000upokt.
type dcChain struct {
	mu    sync.Mutex
	state map[string]string
}

func (c *dcChain) Balance(_ context.Context, addr, denom string) (sdk.Coin, error) {
	return sdk.NewInt64Coin(denom, 1000), nil
}

func (c *dcChain) set(addr, state string) {
	c.mu.Lock()
	c.state[addr] = state
	c.mu.Unlock()
}

func (c *dcChain) Supplier(_ context.Context, addr string) (*sharedtypes.Supplier, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.state[addr] {
	case "staked":
		stake := sdk.NewInt64Coin("upokt", 5000)
		return &sharedtypes.Supplier{OperatorAddress: addr, Stake: &stake, Services: []*sharedtypes.SupplierServiceConfig{{ServiceId: "svc"}}}, nil
	case "no-services":
		return &sharedtypes.Supplier{OperatorAddress: addr}, nil
	case "deactivating":
		return &sharedtypes.Supplier{OperatorAddress: addr, UnstakeSessionEndHeight: 20, ServiceConfigHistory: []*sharedtypes.ServiceConfigUpdate{
			{OperatorAddress: addr, Service: &sharedtypes.SupplierServiceConfig{ServiceId: "svc"}, ActivationHeight: 1, DeactivationHeight: 21}}}, nil
	case "unbonding":
		return &sharedtypes.Supplier{OperatorAddress: addr, UnstakeSessionEndHeight: 20}, nil
	case "down":
		return nil, fmt.Errorf("%w: connection refused", query.ErrTransient)
	}
	return nil, fmt.Errorf("supplier %s: %w", addr, query.ErrNotFound)
}

// dcSetter records every set handed to Ownership.
type dcSetter struct {
	mu   sync.Mutex
	sets [][]string
	got  chan struct{}
}

func (s *dcSetter) SetSuppliers(ids []string) {
	s.mu.Lock()
	s.sets = append(s.sets, slices.Clone(ids))
	s.mu.Unlock()
	select {
	case s.got <- struct{}{}:
	default:
	}
}

func (s *dcSetter) last() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sets) == 0 {
		return nil
	}
	return s.sets[len(s.sets)-1]
}

func TestDiscoveryFiltersAndKeepsVerdictsOnErrors(t *testing.T) {
	keys := &dcKeys{changes: make(chan struct{}, 1), addrs: []string{"a", "b", "c", "d"}}
	chain := &dcChain{state: map[string]string{"a": "staked", "b": "no-services", "c": "unstaked", "d": "down"}}
	out := &dcSetter{got: make(chan struct{}, 1)}
	d := newTestDiscovery(t, keys, chain, out, noSessions{}, nil)
	ctx := context.Background()
	steps := []struct {
		name  string
		apply func()
		want  []string
	}{
		{"only staked with a service; unknown is out until seen", func() {}, []string{"a"}},
		{"d comes up staked", func() { chain.set("d", "staked") }, []string{"a", "d"}},
		{"chain down keeps both staked verdicts", func() { chain.set("a", "down"); chain.set("d", "down") }, []string{"a", "d"}},
		{"chain down keeps a not-staked verdict", func() { chain.set("c", "down") }, []string{"a", "d"}},
		{"unstaked drops", func() { chain.set("a", "unstaked") }, []string{"d"}},
		{"services removed drops once pruned", func() { chain.set("d", "no-services") }, nil},
		{"a deactivated config not yet pruned keeps", func() { chain.set("d", "deactivating") }, []string{"d"}},
		{"unbonding keeps", func() { chain.set("d", "unbonding") }, []string{"d"}},
		{"unbonded drops", func() { chain.set("d", "unstaked") }, nil},
		{"b staked", func() { chain.set("b", "staked") }, []string{"b"}},
		{"key removed drops", func() { keys.set("a", "c", "d") }, nil},
	}
	for _, s := range steps {
		s.apply()
		got := d.Check(ctx)
		if !slices.Equal(got, s.want) || !slices.Equal(out.last(), s.want) {
			t.Fatalf("%s: discovered %v (handed %v), want %v", s.name, got, out.last(), s.want)
		}
	}
	if !d.Checked() {
		t.Fatal("Checked false after rounds")
	}
}

// TestDiscoveryRunRechecksOnKeyChange: Run checks at once and again when the keys change,
// without waiting for its period.
func TestDiscoveryRunRechecksOnKeyChange(t *testing.T) {
	keys := &dcKeys{changes: make(chan struct{}, 1), addrs: []string{"a"}}
	chain := &dcChain{state: map[string]string{"a": "staked", "b": "staked"}}
	out := &dcSetter{got: make(chan struct{}, 1)}
	d := newTestDiscovery(t, keys, chain, out, noSessions{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	waitSet := func(want []string) {
		t.Helper()
		deadline := time.NewTimer(10 * time.Second)
		defer deadline.Stop()
		for !slices.Equal(out.last(), want) {
			select {
			case <-out.got:
			case <-deadline.C:
				t.Fatalf("handed %v, want %v", out.last(), want)
			}
		}
	}
	waitSet([]string{"a"})
	keys.set("a", "b")
	waitSet([]string{"a", "b"})
}

func TestNewDiscoveryValidates(t *testing.T) {
	k := &dcKeys{changes: make(chan struct{})}
	deps := DiscoveryDeps{Keys: k, Chain: &dcChain{}, Sessions: noSessions{}, Height: func() (int64, bool) { return 0, false },
		Out: &dcSetter{}, Registerer: prometheus.NewRegistry()}
	if _, err := NewDiscovery(deps, 0); err == nil {
		t.Fatal("zero period accepted")
	}
	for name, broken := range map[string]func(*DiscoveryDeps){
		"keys":     func(d *DiscoveryDeps) { d.Keys = nil },
		"sessions": func(d *DiscoveryDeps) { d.Sessions = nil },
		"height":   func(d *DiscoveryDeps) { d.Height = nil },
	} {
		d := deps
		broken(&d)
		if _, err := NewDiscovery(d, time.Second); err == nil {
			t.Fatalf("nil %s accepted", name)
		}
	}
}

// noSessions is a supplier state without any persisted session.
type noSessions struct{}

func (noSessions) Unsettled(context.Context, string, int64) (bool, error) { return false, nil }

// newTestDiscovery builds a Discovery; height nil means no height known yet.
func newTestDiscovery(t *testing.T, keys KeySource, chain DiscoveryChain, out SupplierSetter, sessions UnsettledSource, height *atomic.Int64) *Discovery {
	t.Helper()
	return newTestDiscoveryReg(t, keys, chain, out, sessions, height, prometheus.NewRegistry())
}

func newTestDiscoveryReg(t *testing.T, keys KeySource, chain DiscoveryChain, out SupplierSetter, sessions UnsettledSource,
	height *atomic.Int64, reg prometheus.Registerer) *Discovery {
	t.Helper()
	h := func() (int64, bool) {
		if height == nil || height.Load() == 0 {
			return 0, false
		}
		return height.Load(), true
	}
	d, err := NewDiscovery(DiscoveryDeps{Keys: keys, Chain: chain, Sessions: sessions, Height: h, Out: out,
		Registerer: reg, Log: zerolog.Nop()}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
