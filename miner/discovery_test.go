package miner

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
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
// found) or "down" (a transient error).
type dcChain struct {
	mu    sync.Mutex
	state map[string]string
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
		return &sharedtypes.Supplier{OperatorAddress: addr, Services: []*sharedtypes.SupplierServiceConfig{{ServiceId: "svc"}}}, nil
	case "no-services":
		return &sharedtypes.Supplier{OperatorAddress: addr}, nil
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
	d, err := NewDiscovery(keys, chain, out, time.Hour, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
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
		{"services removed drops", func() { chain.set("d", "no-services") }, nil},
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
	d, err := NewDiscovery(keys, chain, out, time.Hour, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
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
	if _, err := NewDiscovery(k, &dcChain{}, &dcSetter{}, 0, zerolog.Nop()); err == nil {
		t.Fatal("zero period accepted")
	}
	if _, err := NewDiscovery(nil, &dcChain{}, &dcSetter{}, time.Second, zerolog.Nop()); err == nil {
		t.Fatal("nil keys accepted")
	}
}
