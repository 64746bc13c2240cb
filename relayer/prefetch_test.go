package relayer

import (
	"context"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	apptypes "github.com/pokt-network/poktroll/x/application/types"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shannon-ops/pocket-relay-miner/cache"
	"github.com/shannon-ops/pocket-relay-miner/query"
	"github.com/shannon-ops/pocket-relay-miner/query/querytest"
	"github.com/shannon-ops/pocket-relay-miner/transport"
	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

// cachedChain is the relayer's production chain view (cache.Chain over a real Redis) in front
// of a fake node that holds the fixture's application, gateway and supplier. querytest
// sessions are 4 blocks long: [1,4], [5,8], [9,12], ...
type cachedChain struct {
	node *querytest.Chain
}

// withCachedChain makes the fixture use a cache.Chain over a fake node; delay, if set, is
// added to every query the node answers (to measure what a cold lookup costs).
func withCachedChain(cc *cachedChain, delay time.Duration) fixtureOption {
	return func(f *fixture) {
		t := f.t
		node := querytest.Start(t)
		stake := sdk.NewCoin("upokt", sdkmath.NewInt(1_000_000))
		node.SetApplication(apptypes.Application{Address: f.app, Stake: &stake, DelegateeGatewayAddresses: []string{f.gw},
			ServiceConfigs: []*sharedtypes.ApplicationServiceConfig{{ServiceId: testService}}})
		node.SetAccount(f.app, 1, 0, f.appKey.PubKey().(*secp256k1.PubKey))
		node.SetAccount(f.gw, 2, 0, f.gwKey.PubKey().(*secp256k1.PubKey))
		sup := sharedtypes.Supplier{OperatorAddress: f.sup, OwnerAddress: f.sup,
			Services: []*sharedtypes.SupplierServiceConfig{{ServiceId: testService}}}
		node.SetSupplier(sup)
		node.SetSession(f.app, testService, &sup)
		node.SetService(sharedtypes.Service{Id: testService, ComputeUnitsPerRelay: 7})
		node.SetDifficulty(servicetypes.RelayMiningDifficulty{ServiceId: testService, TargetHash: f.chain.target})
		q, err := query.New(query.Config{GRPCAddr: node.Addr, Insecure: true, BackoffBase: time.Millisecond, MaxRetries: 2}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = q.Close() })
		rdb := redistest.Start(t).Client()
		t.Cleanup(func() { _ = rdb.Close() })
		var querier cache.Querier = q
		if delay > 0 {
			querier = slowQuerier{q, delay}
		}
		c, err := cache.NewChain(cache.NewHub(rdb, transport.MustKeys("t"), prometheus.NewRegistry()), querier, cache.ChainOptions{})
		if err != nil {
			t.Fatal(err)
		}
		f.realChain, cc.node = c, node
	}
}

// at moves the node and the relayer to height h.
func (cc *cachedChain) at(f *fixture, h int64) {
	cc.node.SetLastHeight(h)
	f.heights.h.Store(h)
}

// sessionRequest is a relay of the querytest session starting at start.
func (f *fixture) sessionRequest(start int64) *servicetypes.RelayRequest {
	return f.request(func(r *servicetypes.RelayRequest) {
		h := r.Meta.SessionHeader
		h.SessionId = querytest.SessionID(f.app, testService, start)
		h.SessionStartBlockHeight, h.SessionEndBlockHeight = start, start+3
	})
}

func TestPrefetchedSessionNeedsNoChainQuery(t *testing.T) {
	ctx := context.Background()
	for _, prefetch := range []bool{true, false} {
		var cc cachedChain
		f := newFixture(t, withCachedChain(&cc, 0))
		// A relay of session [5,8] makes (app, service) active.
		cc.at(f, 6)
		if _, err := f.srv.v.validate(ctx, f.sessionRequest(5)); err != nil {
			t.Fatalf("relay of the current session: %v", err)
		}
		p := f.srv.prefetch
		cc.at(f, 8) // last block: the rings of [9,12]
		if prefetch {
			p.run(ctx, 6, 8)
		}
		cc.at(f, 9) // first block of [9,12]
		if prefetch {
			p.run(ctx, 8, 9)
		}
		req := f.sessionRequest(9)
		before := cc.node.TotalCalls()
		if _, err := f.srv.v.validate(ctx, req); err != nil {
			t.Fatalf("prefetch %v: first relay of the next session: %v", prefetch, err)
		}
		queries := cc.node.TotalCalls() - before
		switch {
		case prefetch && queries != 0:
			t.Errorf("after the prefetch the first relay of the next session made %d chain queries, want 0", queries)
		case !prefetch && queries == 0: // the cold path this test guards really queries
			t.Errorf("without prefetch the first relay made no chain query: the test proves nothing")
		}
		if prefetch {
			if got := counterValue(p.ok[phaseSession]) + counterValue(p.ok[phaseRing]); got != 2 {
				t.Errorf("prefetches ok = %v, want 2 (one ring, one session)", got)
			}
		}
	}
}

// Heights inside a session prefetch nothing but the shared params; a session seen first after
// its first block (the feed skipped it) is still prefetched.
func TestPrefetchPhases(t *testing.T) {
	ctx := context.Background()
	var cc cachedChain
	f := newFixture(t, withCachedChain(&cc, 0))
	cc.at(f, 6)
	if _, err := f.srv.v.validate(ctx, f.sessionRequest(5)); err != nil {
		t.Fatal(err)
	}
	p := f.srv.prefetch
	p.run(ctx, 6, 7)
	if cc.node.Calls(querytest.MethodGetSession) != 1 || counterValue(p.ok[phaseSession])+counterValue(p.ok[phaseRing]) != 0 {
		t.Fatalf("mid-session height prefetched something")
	}
	cc.at(f, 10) // block 9 never seen
	p.run(ctx, 7, 10)
	if got := counterValue(p.ok[phaseSession]); got != 1 {
		t.Fatalf("session prefetches = %v, want 1", got)
	}
	before := cc.node.TotalCalls()
	if _, err := f.srv.v.validate(ctx, f.sessionRequest(9)); err != nil {
		t.Fatal(err)
	}
	// The relay asks the params at height 10 (for the session containing it): prefetched too.
	if n := cc.node.TotalCalls() - before; n != 0 {
		t.Errorf("first relay after a skipped start made %d chain queries, want 0", n)
	}
}

// A failing lookup is counted and does not stop the other pairs.
func TestPrefetchFailureCounted(t *testing.T) {
	ctx := context.Background()
	var cc cachedChain
	f := newFixture(t, withCachedChain(&cc, 0))
	cc.at(f, 6)
	if _, err := f.srv.v.validate(ctx, f.sessionRequest(5)); err != nil {
		t.Fatal(err)
	}
	// A second active pair whose application the chain does not know.
	stranger := sessiontypes.SessionHeader{ApplicationAddress: addr(key("stranger")), ServiceId: testService, SessionId: "x"}
	f.srv.v.sessions.Store(sessionKey{"x", f.sup}, &sessionEntry{header: stranger, claimOpen: 100})
	cc.at(f, 9)
	f.srv.prefetch.run(ctx, 8, 9)
	p := f.srv.prefetch
	if ok, failed := counterValue(p.ok[phaseSession]), counterValue(p.failed[phaseSession]); ok != 1 || failed != 1 {
		t.Errorf("prefetches ok=%v failed=%v, want 1 and 1", ok, failed)
	}
}

// tick runs one prefetch at a time in the background and stop waits for it.
func TestPrefetchTickRunsInBackground(t *testing.T) {
	var cc cachedChain
	f := newFixture(t, withCachedChain(&cc, 0))
	cc.at(f, 6)
	if _, err := f.srv.v.validate(context.Background(), f.sessionRequest(5)); err != nil {
		t.Fatal(err)
	}
	p := f.srv.prefetch
	p.tick(9) // before start: nothing
	p.start(context.Background())
	p.last = 8
	cc.at(f, 9)
	p.tick(9)
	p.wg.Wait() // the run finishes; stop would cancel it
	p.stop()
	if got := counterValue(p.ok[phaseSession]); got != 1 {
		t.Fatalf("session prefetches after tick = %v, want 1", got)
	}
	p.tick(9) // same height again: nothing (and no goroutine left behind: goleak)
}

// chanStream is a BlockStream fed by a test; each Next after the first reports on read that
// the block before it was handled.
type chanStream struct {
	blocks chan query.Block
	read   chan struct{}
	closed chan struct{}
}

func (s *chanStream) Next(ctx context.Context) (query.Block, error) {
	s.read <- struct{}{}
	select {
	case b := <-s.blocks:
		return b, nil
	case <-ctx.Done():
		return query.Block{}, ctx.Err()
	}
}

func (s *chanStream) Close() { close(s.closed) }

// With a block stream the prefetch follows blocks as they come, housekeeping does not tick,
// and Serve's end closes the stream.
func TestPrefetchFollowsBlocks(t *testing.T) {
	ctx := context.Background()
	var cc cachedChain
	stream := &chanStream{blocks: make(chan query.Block), read: make(chan struct{}), closed: make(chan struct{})}
	f := newFixture(t, withCachedChain(&cc, 0), func(f *fixture) {
		f.blocks = func() BlockStream { return stream }
	})
	cc.at(f, 6)
	if _, err := f.srv.v.validate(ctx, f.sessionRequest(5)); err != nil {
		t.Fatal(err)
	}
	p := f.srv.prefetch
	p.start(ctx)
	p.poll(6) // housekeeping: ignored while following
	for _, h := range []int64{7, 8, 9} {
		<-stream.read
		cc.at(f, h)
		stream.blocks <- query.Block{Height: h}
	}
	<-stream.read // block 9 handled
	// Block 7, the first one read, counts as the first of [5,8]: its session is prefetched
	// (from the cache) too.
	if ring, session := counterValue(p.ok[phaseRing]), counterValue(p.ok[phaseSession]); ring != 1 || session != 2 {
		t.Errorf("prefetches ring=%v session=%v, want 1 and 2", ring, session)
	}
	before := cc.node.TotalCalls()
	if _, err := f.srv.v.validate(ctx, f.sessionRequest(9)); err != nil {
		t.Fatal(err)
	}
	if n := cc.node.TotalCalls() - before; n != 0 {
		t.Errorf("first relay of the next session made %d chain queries, want 0", n)
	}
	p.stop()
	<-stream.closed
}

// The session step also covers the pairs of the ring step whose sessions were pruned in
// between: with a claim window open offset of 0, housekeeping prunes them at the very block
// the session step runs for.
func TestPrefetchKeepsRingPairsAcrossPrune(t *testing.T) {
	ctx := context.Background()
	var cc cachedChain
	f := newFixture(t, withCachedChain(&cc, 0))
	cc.at(f, 6)
	if _, err := f.srv.v.validate(ctx, f.sessionRequest(5)); err != nil {
		t.Fatal(err)
	}
	p := f.srv.prefetch
	cc.at(f, 8)
	p.run(ctx, 6, 8)
	f.srv.v.sessions.Clear() // what prune does when the claim window opens at block 9
	cc.at(f, 9)
	p.run(ctx, 8, 9)
	if got := counterValue(p.ok[phaseSession]); got != 1 {
		t.Fatalf("session prefetches = %v, want 1", got)
	}
	before := cc.node.TotalCalls()
	if _, err := f.srv.v.validate(ctx, f.sessionRequest(9)); err != nil {
		t.Fatal(err)
	}
	if n := cc.node.TotalCalls() - before; n != 0 {
		t.Errorf("first relay of the next session made %d chain queries, want 0", n)
	}
}

// The ring step reads what the next ring is built from but keeps no ring: one built a block
// before the session could keep a gateway that undelegates at its first block for the whole
// session. The session step keeps it.
func TestPrefetchRingStepKeepsNoRing(t *testing.T) {
	ctx := context.Background()
	var cc cachedChain
	f := newFixture(t, withCachedChain(&cc, 0))
	cc.at(f, 6)
	if _, err := f.srv.v.validate(ctx, f.sessionRequest(5)); err != nil {
		t.Fatal(err)
	}
	p, next := f.srv.prefetch, ringKey{f.app, 12}
	cc.at(f, 8)
	p.run(ctx, 6, 8)
	if _, ok := f.srv.v.rings.m.Load(next); ok {
		t.Fatal("the ring step stored the next session's ring")
	}
	appCalls := func() int { return cc.node.Calls(querytest.MethodApplication) + cc.node.Calls(querytest.MethodAccount) }
	before := appCalls()
	cc.at(f, 9)
	p.run(ctx, 8, 9)
	if _, ok := f.srv.v.rings.m.Load(next); !ok {
		t.Fatal("the session step did not store the session's ring")
	}
	// The application and member keys come from the cache: the session step asks the chain
	// only for the params at 9, the session, CUPR and difficulty.
	if n := appCalls() - before; n != 0 {
		t.Errorf("the session step made %d application/account queries, want 0", n)
	}
}
