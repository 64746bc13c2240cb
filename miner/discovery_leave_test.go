package miner

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// A supplier that unstakes or loses its services keeps its owner while a session it served is
// neither settled nor past its proof window, read from the session records in Redis: also by
// a Discovery created afresh (a restart), and whatever the chain says of the supplier.
func TestDiscoveryKeepsLeavingSupplierUntilItsSessionsSettle(t *testing.T) {
	for _, chainState := range []string{"no-services", "unstaked"} {
		t.Run(chainState, func(t *testing.T) {
			g := newRunnerRig(t)
			ctx := context.Background()
			keys := &dcKeys{changes: make(chan struct{}, 1), addrs: []string{g.op}}
			chain := &dcChain{state: map[string]string{g.op: "staked"}}
			out := &dcSetter{got: make(chan struct{}, 1)}
			var height atomic.Int64
			height.Store(12)
			w, err := NewWindows(g.chain.shared, 10, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			save := func(id string, st State) {
				t.Helper()
				s := NewSession(id)
				s.State, s.Root = st, testRoot(30, 10)
				rec := Record{Supplier: g.op, Header: testHeader(id, 1, 10), Windows: w, Session: s}
				if err := g.store.Save(ctx, g.fence, height.Load(), rec); err != nil {
					t.Fatal(err)
				}
			}
			save("old", StateSettled)
			save("last", StateClaimed)
			d := newTestDiscovery(t, keys, chain, out, g.store, &height)
			want := func(step string, d *Discovery, mined bool) {
				t.Helper()
				got := d.Check(ctx)
				if mined != slices.Equal(got, []string{g.op}) || !slices.Equal(out.last(), got) {
					t.Fatalf("%s: discovered %v (handed %v), want mined=%v", step, got, out.last(), mined)
				}
			}
			want("staked", d, true)
			chain.set(g.op, chainState) // the next session started without the supplier
			want("left the chain, last session claimed", d, true)
			want("after a restart", newTestDiscovery(t, keys, chain, out, g.store, &height), true)
			want("after a restart, no height known yet", newTestDiscovery(t, keys, chain, out, g.store, nil), true)
			save("last", StateProved)
			height.Store(w.ProofClose)
			want("proved, settling at the proof window close", d, true)
			height.Store(w.ProofClose + 1)
			want("past the proof window", d, false)
			height.Store(w.ProofClose)
			save("last", StateSettled)
			want("settled", d, false)
			want("settled, after a restart", newTestDiscovery(t, keys, chain, out, g.store, &height), false)
		})
	}
}

// failingSessions is a Redis that does not answer.
type failingSessions struct{ on *atomic.Bool }

func (f failingSessions) Unsettled(context.Context, string, int64) (bool, error) {
	if f.on.Load() {
		return false, errors.New("redis: connection refused")
	}
	return true, nil
}

// When the session records cannot be read, a supplier the chain no longer lists keeps its
// previous verdict, like a failed chain query.
func TestDiscoveryKeepsVerdictWhenSessionsUnreadable(t *testing.T) {
	keys := &dcKeys{changes: make(chan struct{}, 1), addrs: []string{"a"}}
	chain := &dcChain{state: map[string]string{"a": "unstaked"}}
	out := &dcSetter{got: make(chan struct{}, 1)}
	var down atomic.Bool
	d := newTestDiscovery(t, keys, chain, out, failingSessions{&down}, nil)
	ctx := context.Background()
	if got := d.Check(ctx); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("unsettled sessions: %v", got)
	}
	down.Store(true)
	if got := d.Check(ctx); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("redis down: %v, want the previous verdict", got)
	}
	fresh := newTestDiscovery(t, keys, chain, out, failingSessions{&down}, nil)
	if got := fresh.Check(ctx); got != nil {
		t.Fatalf("redis down, no previous verdict: %v", got)
	}
}

// The stake and operator balance gauges of a mined supplier are refreshed every round and
// deleted once it is no longer mined.
func TestDiscoveryAccountGauges(t *testing.T) {
	keys := &dcKeys{changes: make(chan struct{}, 1), addrs: []string{"a", "b"}}
	chain := &dcChain{state: map[string]string{"a": "staked", "b": "unstaked"}}
	reg := prometheus.NewRegistry()
	d := newTestDiscoveryReg(t, keys, chain, &dcSetter{got: make(chan struct{}, 1)}, noSessions{}, nil, reg)
	d.Check(context.Background())
	want := map[string]float64{
		"relayminer_miner_supplier_stake_upokt{supplier=a}":   5000,
		"relayminer_miner_operator_balance_upokt{supplier=a}": 1000,
	}
	if got := gaugeValues(t, reg); !maps.Equal(got, want) {
		t.Fatalf("gauges %v, want %v", got, want)
	}
	chain.set("a", "unstaked")
	d.Check(context.Background())
	if got := gaugeValues(t, reg); len(got) != 0 {
		t.Fatalf("gauges left after a was dropped: %v", got)
	}
}

// gaugeValues gathers reg's gauges as "name{label=value,...}" → value.
func gaugeValues(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if m.GetGauge() == nil {
				continue
			}
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			out[mf.GetName()+"{"+strings.Join(ls, ",")+"}"] = m.GetGauge().GetValue()
		}
	}
	return out
}
