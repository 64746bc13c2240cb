//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shannon-ops/pocket-relay-miner/tilt/localnet"
	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// ourMiner is one `pocket-relay-miner miner` replica running as a process of the stack.
type ourMiner struct {
	name   string
	opsURL string
	proc   *localnet.Proc
}

// startMiner starts a miner replica for supplier1 (its key from the chain's test keyring) on
// the relayer's Redis, with lease and reclaim timings short enough for a 1s-block chain.
func startMiner(t *testing.T, ctx context.Context, r *ourRelayer, name string) *ourMiner {
	t.Helper()
	opsPort, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	opsAddr := "127.0.0.1:" + strconv.Itoa(opsPort)
	cfg := fmt.Sprintf(`replica_id: %s
redis: {url: %q, key_prefix: e2e}
pocket_node: {rpc_url: %q, grpc_addr: %q, grpc_insecure: true, block_time: 1s}
keys:
  keyring: {backend: test, dir: %q, key_names: [%s]}
leader: {lease_ttl: 3s, renew_interval: 1s, heartbeat_interval: 1s}
consumer: {batch_size: 100, block_timeout: 500ms, reclaim_idle: 2s, reclaim_interval: 1s}
tx: {chain_id: %s, confirm_timeout: 10s}
sessions: {supplier_recheck: 10s, state_ttl_sessions: 4}
metrics: {enabled: true, addr: %s}
health: {addr: %s}
logging: {level: info, format: console}
shutdown_timeout: 20s
`, name, "redis://"+r.rdb.Options().Addr, chain.RPCURL, chain.GRPCAddr, chain.Home, chain.Accounts.Supplier.Name,
		chain.ChainID, opsAddr, opsAddr)
	cfgPath := filepath.Join(t.TempDir(), name+".yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := chain.StartProcess(ctx, localnet.ProcessSpec{Name: name, Binary: r.bin, Addrs: []string{opsAddr},
		Args: []string{"miner", "--config", cfgPath}})
	if err != nil {
		t.Fatalf("start %s: %v (log %s)", name, err, logTail(p))
	}
	m := &ourMiner{name: name, opsURL: "http://" + opsAddr, proc: p}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := p.Stop(sctx); err != nil {
			t.Errorf("stop %s: %v", name, err)
		}
		t.Logf("%s log tail:\n%s", name, logTail(p))
	})
	waitFor(t, ctx, 60*time.Second, name+" ready", func() bool {
		resp, err := http.Get(m.opsURL + "/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return m
}

// metric returns the value of an unlabelled series on the replica's /metrics (-1 if absent).
func (m *ourMiner) metric(name string) float64 {
	resp, err := http.Get(m.opsURL + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == name {
			v, err := strconv.ParseFloat(f[1], 64)
			if err == nil {
				return v
			}
		}
	}
	return -1
}

// owns reports whether the replica holds supplier1's lease.
func (m *ourMiner) owns() bool { return m.metric("relayminer_lease_owned_suppliers") == 1 }

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

// freshSession waits for the first block of the next session of app1 and returns it.
func freshSession(t *testing.T, ctx context.Context) localnet.SessionInfo {
	t.Helper()
	app, svc := chain.Accounts.Application.Address, chain.ServiceID
	cur, err := chain.CurrentSession(ctx, app, svc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chain.WaitHeight(ctx, cur.EndHeight+1); err != nil {
		t.Fatal(err)
	}
	s, err := chain.CurrentSession(ctx, app, svc)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// relaysBySessionEnd counts the published relays per session end height.
func relaysBySessionEnd(ms []transport.Message) map[int64]int64 {
	out := map[int64]int64{}
	for _, m := range ms {
		out[m.SessionEndHeight]++
	}
	return out
}

// assertSettled waits for the settlement of every session that received relays and checks
// each claim was proven VALIDATED and settled with exactly the relays published for it; it
// returns the total settled and the last settlement height.
func assertSettled(t *testing.T, ctx context.Context, per map[int64]int64) (int64, int64) {
	t.Helper()
	ends := make([]int64, 0, len(per))
	for e := range per {
		ends = append(ends, e)
	}
	sort.Slice(ends, func(i, j int) bool { return ends[i] < ends[j] })
	var settled, last int64
	for _, end := range ends {
		s, err := chain.WaitForSettlement(ctx, chain.Accounts.Supplier.Address, end)
		if err != nil {
			t.Fatal(err)
		}
		if !s.ProofValidated() {
			t.Fatalf("session ending at %d: proof not VALIDATED: %+v", end, s.ProofChecked)
		}
		if got := s.NumRelays(); got != per[end] {
			t.Fatalf("session ending at %d: settled %d relays, %d were published", end, got, per[end])
		}
		t.Logf("session ending at %d: claim at %d, proof checked at %d (VALIDATED), settled at %d: %d relays, %s claimed",
			end, s.ClaimCreated.Height, s.ProofChecked.Height, s.Settled.Height, s.NumRelays(), s.Settled.Attrs["claimed_upokt"])
		settled += s.NumRelays()
		last = s.Settled.Height
	}
	return settled, last
}

const minerRelays = 20

// TestMinerClaimsProvesAndSettles: poktroll's real client → our relayer → Redis → our miner →
// chain. Every session that received relays gets a claim, a VALIDATED proof and a settlement
// whose num_relays equals the relays sent; the supplier's balance grows at settlement.
func TestMinerClaimsProvesAndSettles(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 6*time.Minute)
	defer cancel()
	start := time.Now()
	r := startRelayer(t, ctx)
	m := startMiner(t, ctx, r, "miner-1")
	waitFor(t, ctx, 60*time.Second, "miner-1 owns supplier1", m.owns)
	t.Logf("relayer and miner ready, supplier owned after %s", time.Since(start).Round(time.Millisecond))

	sess := freshSession(t, ctx)
	sent := time.Now()
	res, err := chain.Relay(ctx, ethBlockNumber, minerRelays, r.url)
	if err != nil {
		t.Fatalf("relay client: %v\n%s", err, res.Output)
	}
	if res.Succeeded != minerRelays {
		t.Fatalf("client: %d of %d relays succeeded:\n%s", res.Succeeded, minerRelays, res.Output)
	}
	got := r.waitEntries(t, ctx, minerRelays)
	per := relaysBySessionEnd(got)
	t.Logf("%d relays served from session [%d,%d], published per session end: %v", res.Succeeded, sess.StartHeight, sess.EndHeight, per)

	settled, settleHeight := assertSettled(t, ctx, per)
	if settled != int64(res.Succeeded) {
		t.Fatalf("chain settled %d relays, client saw %d succeed", settled, res.Succeeded)
	}
	t.Logf("all %d relays settled %s after the first was sent", settled, time.Since(sent).Round(time.Millisecond))

	sup := chain.Accounts.Supplier.Address
	pre, err := chain.BalanceAt(ctx, sup, settleHeight-1)
	if err != nil {
		t.Fatal(err)
	}
	post, err := chain.BalanceAt(ctx, sup, settleHeight)
	if err != nil {
		t.Fatal(err)
	}
	if post <= pre {
		t.Fatalf("supplier balance did not grow at settlement height %d: %d -> %d upokt", settleHeight, pre, post)
	}
	t.Logf("supplier balance %d -> %d upokt (+%d) at settlement height %d", pre, post, post-pre, settleHeight)
}

// TestMinerFailoverKill9: two replicas; the owner of supplier1 is killed with SIGKILL in the
// middle of a session, between two bursts of relays. The other replica takes the lease over,
// reclaims the dead one's pending entries and resumes the committed trees; every session's
// claim still settles with every relay counted.
func TestMinerFailoverKill9(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 6*time.Minute)
	defer cancel()
	r := startRelayer(t, ctx)
	a := startMiner(t, ctx, r, "miner-a")
	b := startMiner(t, ctx, r, "miner-b")
	var owner, other *ourMiner
	waitFor(t, ctx, 60*time.Second, "one replica owns supplier1", func() bool {
		ao, bo := a.owns(), b.owns()
		switch {
		case ao && !bo:
			owner, other = a, b
		case bo && !ao:
			owner, other = b, a
		default:
			return false
		}
		return true
	})

	sess := freshSession(t, ctx)
	first, err := chain.Relay(ctx, ethBlockNumber, minerRelays/2, r.url)
	if err != nil || first.Succeeded != minerRelays/2 {
		t.Fatalf("first burst: %d of %d relays succeeded (%v):\n%s", first.Succeeded, minerRelays/2, err, first.Output)
	}
	if err := syscall.Kill(owner.proc.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killedAt, _ := chain.Height(ctx)
	killed := time.Now()
	t.Logf("%s (owner) killed with SIGKILL at height %d, session [%d,%d]", owner.name, killedAt, sess.StartHeight, sess.EndHeight)
	second, err := chain.Relay(ctx, ethBlockNumber, minerRelays/2, r.url)
	if err != nil || second.Succeeded != minerRelays/2 {
		t.Fatalf("second burst: %d of %d relays succeeded (%v):\n%s", second.Succeeded, minerRelays/2, err, second.Output)
	}
	waitFor(t, ctx, 30*time.Second, other.name+" takes supplier1 over", other.owns)
	t.Logf("%s owns supplier1 %s after the kill", other.name, time.Since(killed).Round(time.Millisecond))

	got := r.waitEntries(t, ctx, minerRelays)
	per := relaysBySessionEnd(got)
	t.Logf("published per session end: %v", per)
	settled, _ := assertSettled(t, ctx, per)
	if settled != minerRelays {
		t.Fatalf("chain settled %d relays, client saw %d succeed", settled, minerRelays)
	}
	t.Logf("all %d relays settled despite the owner's SIGKILL, %s after the kill", settled, time.Since(killed).Round(time.Millisecond))
}
