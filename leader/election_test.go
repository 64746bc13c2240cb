package leader

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shannon-ops/pocket-relay-miner/transport"
	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

// terms records leadership terms across contenders and fails the test if two overlap: a term
// begins when the lead function starts and ends when it has seen leaderCtx cancelled.
type terms struct {
	t      *testing.T
	mu     sync.Mutex
	active string
	list   []term
}

type term struct {
	holder string
	token  int64
	begin  time.Time
	end    time.Time
}

func (ts *terms) lead(holder string) LeadFunc {
	return func(ctx context.Context, token int64) error {
		ts.mu.Lock()
		if ts.active != "" {
			ts.t.Errorf("%s leads (token %d) while %s still leads", holder, token, ts.active)
		}
		ts.active = holder
		ts.list = append(ts.list, term{holder: holder, token: token, begin: time.Now()})
		i := len(ts.list) - 1
		ts.mu.Unlock()
		<-ctx.Done()
		ts.mu.Lock()
		ts.list[i].end = time.Now()
		if ts.active == holder {
			ts.active = ""
		}
		ts.mu.Unlock()
		return ctx.Err()
	}
}

func (ts *terms) snapshot() []term {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]term(nil), ts.list...)
}

func checkTokensIncrease(t *testing.T, list []term) {
	t.Helper()
	for i := 1; i < len(list); i++ {
		if list[i].token <= list[i-1].token {
			t.Fatalf("term %d token %d not above term %d token %d", i, list[i].token, i-1, list[i-1].token)
		}
	}
}

func TestElectionFailoverAfterCrash(t *testing.T) {
	srv := redistest.Start(t)
	key := transport.MustKeys("t").LeaderLease("global")
	const ttl, renew = 500 * time.Millisecond, 100 * time.Millisecond
	ts := &terms{t: t}
	clients := map[string]redis.UniversalClient{}
	elections := map[string]*Election{}
	for _, name := range []string{"a", "b"} {
		c := newClient(t, srv.URL())
		e, err := NewElection(c, key, name, ttl, renew, nopLog(), nil)
		if err != nil {
			t.Fatal(err)
		}
		clients[name], elections[name] = c, e
		start(t, func(ctx context.Context) error { return e.Run(ctx, ts.lead(name)) })
	}
	var first, second string
	waitFor(t, 5*time.Second, "a leader", func() bool {
		for n, e := range elections {
			if e.IsLeader() {
				first = n
				return true
			}
		}
		return false
	})
	second = map[string]string{"a": "b", "b": "a"}[first]
	staleFence, _ := elections[first].Fence()
	if elections[second].IsLeader() {
		t.Fatal("two leaders")
	}

	// Crash the leader: its connection to Redis is gone, nothing is released.
	crashed := time.Now()
	_ = clients[first].Close()
	failover := waitFor(t, 5*time.Second, "the survivor to lead", elections[second].IsLeader)
	t.Logf("failover after crash: %s (ttl %s + renew %s = %s)", failover, ttl, renew, ttl+renew)
	if bound := 2*ttl + renew; failover > bound { // ttl + renew, plus a generous scheduling allowance
		t.Fatalf("failover took %s, want within %s", failover, bound)
	}
	list := ts.snapshot()
	old := list[len(list)-2]
	if old.end.IsZero() || !old.end.Before(list[len(list)-1].begin) {
		t.Fatalf("crashed leader's term did not end before the new one began: %+v", list)
	}
	t.Logf("crashed leader stood down %s after the crash", old.end.Sub(crashed))
	checkTokensIncrease(t, list)

	// The crashed leader's fenced writes are refused; the new leader's go through.
	admin := newClient(t, srv.URL())
	write := NewFencedScript(`return redis.call('SET', KEYS[2], ARGV[2])`)
	data := "t:v1:{leader:global}:data"
	if _, err := write.Run(context.Background(), admin, staleFence, []string{data}, "stale"); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("stale leader's write: err = %v, want ErrLeaseLost", err)
	}
	cur, _ := elections[second].Fence()
	if _, err := write.Run(context.Background(), admin, cur, []string{data}, "fresh"); err != nil {
		t.Fatalf("leader's write: %v", err)
	}
	if v := admin.Get(context.Background(), data).Val(); v != "fresh" {
		t.Fatalf("data = %q", v)
	}
}

func TestElectionTokensIncreaseAcrossHandovers(t *testing.T) {
	srv := redistest.Start(t)
	key := transport.MustKeys("t").LeaderLease("global")
	const ttl, renew = 500 * time.Millisecond, 50 * time.Millisecond
	ts := &terms{t: t}
	c := newClient(t, srv.URL())
	type contender struct {
		e *Election
		r *runner
	}
	cs := map[string]*contender{}
	for _, name := range []string{"a", "b"} {
		e, err := NewElection(c, key, name, ttl, renew, nopLog(), nil)
		if err != nil {
			t.Fatal(err)
		}
		cs[name] = &contender{e: e, r: start(t, func(ctx context.Context) error { return e.Run(ctx, ts.lead(name)) })}
	}
	for round := range 4 {
		var leader string
		waitFor(t, 5*time.Second, "a leader", func() bool {
			for n, x := range cs {
				if x.e.IsLeader() {
					leader = n
					return true
				}
			}
			return false
		})
		// Graceful stop: the leader stands down and releases; the other takes over at its next try.
		stopped := time.Now()
		if err := cs[leader].r.stop(t); err != nil {
			t.Fatalf("round %d: Run returned %v", round, err)
		}
		other := map[string]string{"a": "b", "b": "a"}[leader]
		waitFor(t, 5*time.Second, "handover", cs[other].e.IsLeader)
		t.Logf("round %d: graceful handover %s → %s in %s", round, leader, other, time.Since(stopped))
		e := cs[leader].e
		cs[leader].r = start(t, func(ctx context.Context) error { return e.Run(ctx, ts.lead(leader)) })
	}
	list := ts.snapshot()
	if len(list) < 5 {
		t.Fatalf("only %d terms", len(list))
	}
	checkTokensIncrease(t, list)
}

func TestLeaseAndFencePrimitives(t *testing.T) {
	srv := redistest.Start(t)
	testPrimitives(t, newClient(t, srv.URL()))
}

// testPrimitives drives TryAcquire, Renew, Release and the fenced writes through a takeover.
func testPrimitives(t *testing.T, c redis.UniversalClient) {
	ctx := context.Background()
	k := transport.MustKeys("t")
	key, data := k.SupplierLease("pokt1op"), k.Session("pokt1op", "s1")
	ttl := 5 * time.Second
	f1, err := TryAcquire(ctx, c, key, "r1", ttl)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TryAcquire(ctx, c, key, "r2", ttl); !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("second acquire: %v, want ErrLeaseHeld", err)
	}
	if err := Renew(ctx, c, f1, ttl); err != nil {
		t.Fatal(err)
	}
	write := NewFencedScript(`return redis.call('HSET', KEYS[2], 'root', ARGV[2])`)
	if _, err := write.Run(ctx, c, f1, []string{data}, "r1"); err != nil {
		t.Fatal(err)
	}
	// The lease expires under r1 (simulated by deleting it) and r2 takes it.
	c.Del(ctx, key)
	f2, err := TryAcquire(ctx, c, key, "r2", ttl)
	if err != nil {
		t.Fatal(err)
	}
	if f2.Token <= f1.Token {
		t.Fatalf("token %d after %d", f2.Token, f1.Token)
	}
	if _, err := write.Run(ctx, c, f1, []string{data}, "stale"); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("stale script write: %v, want ErrLeaseLost", err)
	}
	err = f1.Tx(ctx, c, func(p redis.Pipeliner) error { return p.HSet(ctx, data, "root", "stale-tx").Err() })
	if !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("stale tx write: %v, want ErrLeaseLost", err)
	}
	if err := Renew(ctx, c, f1, ttl); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("stale renew: %v", err)
	}
	if err := Release(ctx, c, f1); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("stale release: %v", err)
	}
	if got := c.HGet(ctx, data, "root").Val(); got != "r1" {
		t.Fatalf("a stale write landed: root = %q", got)
	}
	err = f2.Tx(ctx, c, func(p redis.Pipeliner) error { return p.HSet(ctx, data, "root", "r2").Err() })
	if err != nil {
		t.Fatal(err)
	}
	if err := f1.Check(ctx, c); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("check stale: %v", err)
	}
	if err := f2.Check(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := Release(ctx, c, f2); err != nil {
		t.Fatal(err)
	}
	if got := c.HGet(ctx, data, "root").Val(); got != "r2" {
		t.Fatalf("root = %q, want r2", got)
	}
}
