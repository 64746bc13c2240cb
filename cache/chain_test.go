package cache

import (
	"context"
	"errors"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	apptypes "github.com/pokt-network/poktroll/x/application/types"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/shannon-ops/pocket-relay-miner/query"
	"github.com/shannon-ops/pocket-relay-miner/query/querytest"
	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

const (
	appAddr = "pokt1mrqt5f7qh8uxs27cjm9t7v9e74a9vvdnq5jva4"
	supAddr = "pokt19a3t4yunp0dlpfjrp7qwnzwlrzd5fzs2gjaaaj"
	svc     = "develop-http"
)

func stakedApp() apptypes.Application {
	stake := sdk.NewCoin("upokt", sdkmath.NewInt(1000))
	return apptypes.Application{Address: appAddr, Stake: &stake,
		ServiceConfigs: []*sharedtypes.ApplicationServiceConfig{{ServiceId: svc}}}
}

func stakedSupplier(services int) sharedtypes.Supplier {
	s := sharedtypes.Supplier{OperatorAddress: supAddr, OwnerAddress: supAddr}
	for range services {
		s.Services = append(s.Services, &sharedtypes.SupplierServiceConfig{ServiceId: svc})
	}
	return s
}

func fakeChain(t testing.TB) *querytest.Chain {
	chain := querytest.Start(t)
	chain.SetApplication(stakedApp())
	sup := stakedSupplier(1)
	chain.SetSupplier(sup)
	chain.SetSession(appAddr, svc, &sup)
	chain.SetService(sharedtypes.Service{Id: svc, ComputeUnitsPerRelay: 3})
	chain.SetDifficulty(servicetypes.RelayMiningDifficulty{ServiceId: svc, TargetHash: make([]byte, 32)})
	return chain
}

func newQuerier(t testing.TB, chain *querytest.Chain) *query.Client {
	q, err := query.New(query.Config{GRPCAddr: chain.Addr, Insecure: true, BackoffBase: time.Millisecond, MaxRetries: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Close() })
	return q
}

func newChain(t testing.TB, hub *Hub, q Querier) *Chain {
	c, err := NewChain(hub, q, ChainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSecondLookupCostsNothing: the second identical lookup is answered by L1 with no chain
// query and no Redis command.
func TestSecondLookupCostsNothing(t *testing.T) {
	chain := fakeChain(t)
	srv := redistest.Start(t)
	p := newProcess(t, srv.Client(), false)
	c := newChain(t, p.hub, newQuerier(t, chain))
	ctx := context.Background()
	lookups := func() {
		t.Helper()
		s, err := c.Session(ctx, appAddr, svc, 10)
		if err != nil || s.Header.SessionStartBlockHeight != 9 {
			t.Fatalf("session %v, %v", s, err)
		}
		if _, err := c.SharedParamsAt(ctx, 12); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Application(ctx, appAddr); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Supplier(ctx, supAddr); err != nil {
			t.Fatal(err)
		}
		if v, err := c.CUPRAt(ctx, svc, 9); err != nil || v != 3 {
			t.Fatalf("cupr %d, %v", v, err)
		}
		if _, err := c.DifficultyAt(ctx, svc, 9); err != nil {
			t.Fatal(err)
		}
	}
	lookups()
	chainCalls, redisCmds := chain.TotalCalls(), p.cmds.n.Load()
	if chainCalls == 0 || redisCmds == 0 {
		t.Fatalf("first lookups: %d chain calls, %d redis commands; want both > 0", chainCalls, redisCmds)
	}
	lookups()
	if d := chain.TotalCalls() - chainCalls; d != 0 {
		t.Fatalf("second lookups made %d chain calls, want 0", d)
	}
	if d := p.cmds.n.Load() - redisCmds; d != 0 {
		t.Fatalf("second lookups made %d redis commands, want 0", d)
	}
	// Another height of the same session shares the session entry.
	before := chain.Calls(querytest.MethodGetSession)
	if _, err := c.Session(ctx, appAddr, svc, 12); err != nil {
		t.Fatal(err)
	}
	if chain.Calls(querytest.MethodGetSession) != before {
		t.Fatal("a later height of the same session queried the chain again")
	}
}

// TestSupplierWithoutServicesIsNotCached is incumbent failure 11: a transient answer of a
// supplier with zero services must not stick.
func TestSupplierWithoutServicesIsNotCached(t *testing.T) {
	chain := fakeChain(t)
	chain.SetSupplier(stakedSupplier(0))
	srv := redistest.Start(t)
	c := newChain(t, newProcess(t, srv.Client(), false).hub, newQuerier(t, chain))
	ctx := context.Background()
	if _, err := c.Supplier(ctx, supAddr); !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("err = %v, want ErrInvalidValue", err)
	}
	chain.SetSupplier(stakedSupplier(1))
	s, err := c.Supplier(ctx, supAddr)
	if err != nil || len(s.Services) != 1 {
		t.Fatalf("after recovery: %v, %v", s, err)
	}
}

func TestChainErrorsAreClassifiedAndNotCached(t *testing.T) {
	chain := fakeChain(t)
	srv := redistest.Start(t)
	c := newChain(t, newProcess(t, srv.Client(), false).hub, newQuerier(t, chain))
	ctx := context.Background()
	if _, err := c.Application(ctx, "pokt1unknown"); !errors.Is(err, query.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	chain.FailNext(querytest.MethodCUPRAtHeight, status.Error(codes.Unavailable, "x"), status.Error(codes.Unavailable, "x"), status.Error(codes.Unavailable, "x"))
	if _, err := c.CUPRAt(ctx, svc, 20); !errors.Is(err, query.ErrTransient) {
		t.Fatalf("err = %v, want ErrTransient", err)
	}
	if v, err := c.CUPRAt(ctx, svc, 20); err != nil || v != 3 {
		t.Fatalf("after transient: %d, %v", v, err)
	}
}

func TestAccountPubKey(t *testing.T) {
	chain := fakeChain(t)
	pk := secp256k1.GenPrivKey().PubKey().(*secp256k1.PubKey)
	chain.SetAccount(appAddr, 1, 0, pk)
	chain.SetAccount(supAddr, 2, 0, nil)
	srv := redistest.Start(t)
	a := newProcess(t, srv.Client(), false)
	c := newChain(t, a.hub, newQuerier(t, chain))
	ctx := context.Background()
	got, err := c.AccountPubKey(ctx, appAddr)
	if err != nil || !got.Equals(pk) {
		t.Fatalf("%v, %v", got, err)
	}
	if _, err := c.AccountPubKey(ctx, supAddr); !errors.Is(err, ErrNoPubKey) {
		t.Fatalf("err = %v, want ErrNoPubKey", err)
	}
	// A second process decodes the key from L2.
	b := newProcess(t, srv.Client(), false)
	cb := newChain(t, b.hub, newQuerier(t, chain))
	before := chain.Calls(querytest.MethodAccount)
	got, err = cb.AccountPubKey(ctx, appAddr)
	if err != nil || !got.Equals(pk) || chain.Calls(querytest.MethodAccount) != before {
		t.Fatalf("l2 pubkey %v, %v", got, err)
	}
}

// fakeBlocks is a BlockSubscription fed by a channel.
type fakeBlocks chan query.Block

func (f fakeBlocks) Next(ctx context.Context) (query.Block, error) {
	select {
	case <-ctx.Done():
		return query.Block{}, ctx.Err()
	case b := <-f:
		return b, nil
	}
}

func TestRefresherUpdatesEveryProcess(t *testing.T) {
	chain := fakeChain(t)
	srv := redistest.Start(t)
	leader, follower := newProcess(t, srv.Client(), true), newProcess(t, srv.Client(), true)
	cl, cf := newChain(t, leader.hub, newQuerier(t, chain)), newChain(t, follower.hub, newQuerier(t, chain))
	ctx := context.Background()
	// The follower (a relayer) uses the application; the leader never looked at it.
	if _, err := cf.Application(ctx, appAddr); err != nil {
		t.Fatal(err)
	}
	// The stake changes on chain.
	app := stakedApp()
	more := sdk.NewCoin("upokt", sdkmath.NewInt(5000))
	app.Stake = &more
	chain.SetApplication(app)

	blocks := make(fakeBlocks)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	r := NewRefresher(blocks, func() bool { return true }, nil, cl.Live()...)
	go func() { done <- r.Run(rctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	blocks <- query.Block{Height: 11}
	eventually(t, "the follower to see the new stake", func() bool {
		a, err := cf.Application(ctx, appAddr)
		return err == nil && a.Stake.Amount.Int64() == 5000
	})
	// A failed refresh keeps the last good value everywhere.
	chain.FailNext(querytest.MethodApplication, status.Error(codes.Internal, "x"), status.Error(codes.Internal, "x"))
	blocks <- query.Block{Height: 12}
	blocks <- query.Block{Height: 13} // the second send returns once round 12 is over
	if a, err := cf.Application(ctx, appAddr); err != nil || a.Stake.Amount.Int64() != 5000 {
		t.Fatalf("after a failed refresh: %v, %v", a, err)
	}
}

func BenchmarkL1Hit(b *testing.B) {
	chain := fakeChain(b)
	srv := redistest.Start(b)
	rdb := srv.Client()
	defer rdb.Close()
	hub := NewHub(rdb, testKeys, nil)
	c := newChain(b, hub, newQuerier(b, chain))
	ctx := context.Background()
	if _, err := c.Session(ctx, appAddr, svc, 10); err != nil {
		b.Fatal(err)
	}
	if _, err := c.Application(ctx, appAddr); err != nil {
		b.Fatal(err)
	}
	b.Run("session", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Session(ctx, appAddr, svc, 10); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("application", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Application(ctx, appAddr); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("session_parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Session(ctx, appAddr, svc, 10); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

var _ redis.UniversalClient = (*redis.Client)(nil)
