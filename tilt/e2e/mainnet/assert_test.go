//go:build e2e

package mainnet

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shannon-ops/pocket-relay-miner/tilt/localnet"
	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// ethBlockNumber is the JSON-RPC payload every test relays.
const ethBlockNumber = `{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}`

// relay sends n relays from app1 to supplier (an operator address) through s's relayer and
// returns how many the client saw succeed.
func relay(t *testing.T, ctx context.Context, l *localnet.Localnet, s *ourStack, supplier string, n int) int {
	t.Helper()
	res, err := l.RelayTo(ctx, supplier, ethBlockNumber, n, s.relayerURL)
	if err != nil {
		t.Fatalf("relay client: %v\n%s", err, lastLines(res.Output, 20))
	}
	return res.Succeeded
}

// relayAll is relay that fails the test unless every relay succeeded.
func relayAll(t *testing.T, ctx context.Context, l *localnet.Localnet, s *ourStack, supplier string, n int) {
	t.Helper()
	if got := relay(t, ctx, l, s, supplier, n); got != n {
		t.Fatalf("%d of %d relays to %s succeeded", got, n, supplier)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// freshSession waits for the first block of app1's next session and returns that session.
func freshSession(t *testing.T, ctx context.Context, l *localnet.Localnet) localnet.SessionInfo {
	t.Helper()
	app := l.Accounts.Application.Address
	cur, err := l.CurrentSession(ctx, app, l.ServiceID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.WaitHeight(ctx, cur.EndHeight+1); err != nil {
		t.Fatal(err)
	}
	s, err := l.CurrentSession(ctx, app, l.ServiceID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// published counts the relays in operator's stream per session end height, for the given
// sessions only (the stream is shared by the tests of one supplier).
func published(t *testing.T, ctx context.Context, s *ourStack, operator string, ends ...int64) map[int64]int64 {
	t.Helper()
	ms, err := s.entries(ctx, operator)
	if err != nil {
		t.Fatal(err)
	}
	return countBySession(ms, ends)
}

func countBySession(ms []transport.Message, ends []int64) map[int64]int64 {
	out := map[int64]int64{}
	for _, end := range ends {
		out[end] = 0
	}
	for _, m := range ms {
		if _, ok := out[m.SessionEndHeight]; ok {
			out[m.SessionEndHeight]++
		}
	}
	return out
}

// waitPublished waits until operator's stream holds want relays for each session of want.
func waitPublished(t *testing.T, ctx context.Context, s *ourStack, operator string, want map[int64]int64) {
	t.Helper()
	ends := make([]int64, 0, len(want))
	for e := range want {
		ends = append(ends, e)
	}
	waitFor(t, ctx, 30*time.Second, "relays published", func() bool {
		got := published(t, ctx, s, operator, ends...)
		for e, n := range want {
			if got[e] < n {
				return false
			}
		}
		return true
	})
}

// settled waits for the settlement of every session in per that has relays and checks each
// claim was proven VALIDATED and settled with exactly the relays published for it. It returns
// the settlements by session end.
func settled(t *testing.T, ctx context.Context, l *localnet.Localnet, supplier string, per map[int64]int64) map[int64]localnet.Settlement {
	t.Helper()
	ends := make([]int64, 0, len(per))
	for e, n := range per {
		if n > 0 {
			ends = append(ends, e)
		}
	}
	sort.Slice(ends, func(i, j int) bool { return ends[i] < ends[j] })
	out := map[int64]localnet.Settlement{}
	for _, end := range ends {
		s, err := l.WaitForSettlement(ctx, supplier, end)
		if err != nil {
			t.Errorf("session ending at %d (%d relays published): %v", end, per[end], err)
			continue
		}
		if !s.ProofValidated() {
			t.Errorf("session ending at %d: proof not VALIDATED: %+v", end, s.ProofChecked)
		}
		if got := s.NumRelays(); got != per[end] {
			t.Errorf("session ending at %d: settled %d relays, %d were published", end, got, per[end])
		}
		t.Logf("session ending at %d: claim at %d, proof at %d, settled at %d: %d relays, %s",
			end, s.ClaimCreated.Height, heightOf(s.ProofSubmitted), s.Settled.Height, s.NumRelays(), s.Settled.Attrs["claimed_upokt"])
		out[end] = s
	}
	return out
}

func heightOf(e *localnet.Event) int64 {
	if e == nil {
		return 0
	}
	return e.Height
}

// assertNoPenalty fails the test for every EventSupplierSlashed of supplier and every
// EventApplicationOverserviced for supplier in blocks from..to.
func assertNoPenalty(t *testing.T, ctx context.Context, l *localnet.Localnet, supplier string, from, to int64) {
	t.Helper()
	if _, err := l.WaitHeight(ctx, to); err != nil {
		t.Fatal(err)
	}
	evs, err := l.EventsBetween(ctx, from, to, localnet.EventSupplierSlashed, localnet.EventAppOverserviced)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Attrs["supplier_operator_address"] == supplier || e.Attrs["supplier_operator_addr"] == supplier {
			t.Errorf("%s at height %d: %v", e.Type, e.Height, e.Attrs)
		}
	}
}

// upokt parses a coin string such as "1050upokt".
func upokt(t *testing.T, coin string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(strings.TrimSuffix(coin, "upokt"), 10, 64)
	if err != nil {
		t.Fatalf("coin %q: %v", coin, err)
	}
	return v
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t *testing.T, ctx context.Context, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("%s: not after %s", what, timeout)
		case <-ctx.Done():
			t.Fatalf("%s: %v", what, ctx.Err())
		}
	}
}

// isNoClaim reports whether err says no claim landed.
func isNoClaim(err error) bool { return errors.Is(err, localnet.ErrNoClaim) }
