package query_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	apptypes "github.com/pokt-network/poktroll/x/application/types"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	"github.com/prometheus/client_golang/prometheus"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/shannon-ops/pocket-relay-miner/query"
	"github.com/shannon-ops/pocket-relay-miner/query/querytest"
)

const (
	appAddr = "pokt1mrqt5f7qh8uxs27cjm9t7v9e74a9vvdnq5jva4"
	supAddr = "pokt19a3t4yunp0dlpfjrp7qwnzwlrzd5fzs2gjaaaj"
	svc     = "develop-http"
)

func newClient(t *testing.T, chain *querytest.Chain, mod func(*query.Config)) (*query.Client, *prometheus.Registry) {
	t.Helper()
	cfg := query.Config{GRPCAddr: chain.Addr, Insecure: true, Timeout: time.Second, BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	reg := prometheus.NewRegistry()
	c, err := query.New(cfg, reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, reg
}

func TestRetriesTransientThenSucceeds(t *testing.T) {
	chain := querytest.Start(t)
	chain.SetApplication(apptypes.Application{Address: appAddr})
	for _, code := range []codes.Code{codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted} {
		t.Run(code.String(), func(t *testing.T) {
			c, _ := newClient(t, chain, nil)
			before := chain.Calls(querytest.MethodApplication)
			chain.FailNext(querytest.MethodApplication, status.Error(code, "busy"), status.Error(code, "busy"))
			app, err := c.Application(context.Background(), appAddr)
			if err != nil {
				t.Fatalf("Application: %v", err)
			}
			if app.Address != appAddr {
				t.Fatalf("got %q", app.Address)
			}
			if got := chain.Calls(querytest.MethodApplication) - before; got != 3 {
				t.Fatalf("attempts = %d, want 3", got)
			}
		})
	}
}

func TestRetriesExhaustedIsTransient(t *testing.T) {
	chain := querytest.Start(t)
	c, reg := newClient(t, chain, func(c *query.Config) { c.MaxRetries = 2 })
	chain.FailNext(querytest.MethodApplication, status.Error(codes.Unavailable, "down"), status.Error(codes.Unavailable, "down"), status.Error(codes.Unavailable, "down"))
	_, err := c.Application(context.Background(), appAddr)
	if !errors.Is(err, query.ErrTransient) {
		t.Fatalf("err = %v, want ErrTransient", err)
	}
	if got := chain.Calls(querytest.MethodApplication); got != 3 {
		t.Fatalf("attempts = %d, want 3", got)
	}
	mfs, err := reg.Gather()
	if err != nil || len(mfs) != 1 || mfs[0].GetName() != "relayminer_chain_query_duration_seconds" {
		t.Fatalf("gathered %v, %v", mfs, err)
	}
}

func TestNoRetryOnDefiniteAnswers(t *testing.T) {
	chain := querytest.Start(t)
	c, _ := newClient(t, chain, nil)
	ctx := context.Background()
	cases := []struct {
		name   string
		method string
		call   func() error
		want   error
	}{
		{"app not found", querytest.MethodApplication, func() error { _, err := c.Application(ctx, appAddr); return err }, query.ErrNotFound},
		{"supplier not found", querytest.MethodSupplier, func() error { _, err := c.Supplier(ctx, supAddr); return err }, query.ErrNotFound},
		{"claim not found", querytest.MethodClaim, func() error { _, err := c.Claim(ctx, "s1", supAddr); return err }, query.ErrNotFound},
		{"session app not found (Internal)", querytest.MethodGetSession, func() error { _, err := c.Session(ctx, appAddr, svc, 10); return err }, query.ErrNotFound},
		{"cupr invalid argument", querytest.MethodCUPRAtHeight, func() error { _, _, err := c.ComputeUnitsPerRelayAtHeight(ctx, "", 10); return err }, query.ErrInvalid},
		{"params negative height", querytest.MethodSharedAtHeight, func() error { _, _, err := c.SharedParamsAtHeight(ctx, -1); return err }, query.ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := chain.Calls(tc.method)
			err := tc.call()
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if errors.Is(err, query.ErrTransient) {
				t.Fatalf("err %v is also transient", err)
			}
			if got := chain.Calls(tc.method) - before; got != 1 {
				t.Fatalf("attempts = %d, want 1", got)
			}
		})
	}
}

func TestErrorNamesMethod(t *testing.T) {
	chain := querytest.Start(t)
	c, _ := newClient(t, chain, nil)
	_, err := c.Application(context.Background(), appAddr)
	if err == nil || err.Error()[:len("application: ")] != "application: " {
		t.Fatalf("err = %v, want it prefixed with the method", err)
	}
}

func TestUnclassifiedInternalIsNotRetried(t *testing.T) {
	chain := querytest.Start(t)
	c, _ := newClient(t, chain, nil)
	chain.FailNext(querytest.MethodApplication, status.Error(codes.Internal, "boom"))
	_, err := c.Application(context.Background(), appAddr)
	if err == nil || errors.Is(err, query.ErrTransient) || errors.Is(err, query.ErrNotFound) || errors.Is(err, query.ErrInvalid) {
		t.Fatalf("err = %v, want an unclassified error", err)
	}
	if got := chain.Calls(querytest.MethodApplication); got != 1 {
		t.Fatalf("attempts = %d, want 1", got)
	}
}

func TestPerAttemptTimeout(t *testing.T) {
	chain := querytest.Start(t)
	chain.Hang(querytest.MethodSupplier, true)
	c, _ := newClient(t, chain, func(c *query.Config) { c.Timeout = 50 * time.Millisecond; c.MaxRetries = 1 })
	_, err := c.Supplier(context.Background(), supAddr)
	if !errors.Is(err, query.ErrTransient) {
		t.Fatalf("err = %v, want ErrTransient", err)
	}
	if got := chain.Calls(querytest.MethodSupplier); got != 2 {
		t.Fatalf("attempts = %d, want 2", got)
	}
}

func TestCallerCancellationIsNotTransient(t *testing.T) {
	chain := querytest.Start(t)
	chain.Hang(querytest.MethodSupplier, true)
	c, _ := newClient(t, chain, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Supplier(ctx, supAddr)
	if errors.Is(err, query.ErrTransient) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the caller's deadline and not transient", err)
	}
}

func TestConnectionRefusedIsTransient(t *testing.T) {
	chain := querytest.Start(t)
	c, _ := newClient(t, chain, func(c *query.Config) { c.GRPCAddr = deadAddr(t); c.MaxRetries = 1 })
	_, err := c.Application(context.Background(), appAddr)
	if !errors.Is(err, query.ErrTransient) {
		t.Fatalf("err = %v, want ErrTransient", err)
	}
}

func TestSessionAheadOfChainIsRetried(t *testing.T) {
	chain := querytest.Start(t)
	chain.SetApplication(apptypes.Application{Address: appAddr})
	chain.SetSession(appAddr, svc, &sharedtypes.Supplier{OperatorAddress: supAddr})
	chain.SetLastHeight(5)
	c, _ := newClient(t, chain, func(c *query.Config) { c.MaxRetries = 1 })
	_, err := c.Session(context.Background(), appAddr, svc, 9)
	if !errors.Is(err, query.ErrTransient) {
		t.Fatalf("err = %v, want ErrTransient", err)
	}
	if got := chain.Calls(querytest.MethodGetSession); got != 2 {
		t.Fatalf("attempts = %d, want 2", got)
	}
}

func TestTypedAnswers(t *testing.T) {
	chain := querytest.Start(t)
	chain.SetApplication(apptypes.Application{Address: appAddr})
	chain.SetSession(appAddr, svc, &sharedtypes.Supplier{OperatorAddress: supAddr})
	chain.SetService(sharedtypes.Service{Id: svc, ComputeUnitsPerRelay: 7})
	chain.SetDifficulty(servicetypes.RelayMiningDifficulty{ServiceId: svc, TargetHash: []byte{0xff}})
	pk := secp256k1.GenPrivKey().PubKey().(*secp256k1.PubKey)
	chain.SetAccount(appAddr, 12, 3, pk)
	chain.SetAccount(supAddr, 13, 0, nil)
	c, _ := newClient(t, chain, nil)
	ctx := context.Background()

	s, err := c.Session(ctx, appAddr, svc, 10)
	if err != nil {
		t.Fatal(err)
	}
	if s.Header.SessionStartBlockHeight != 9 || s.Header.SessionEndBlockHeight != 12 || len(s.Suppliers) != 1 {
		t.Fatalf("session header %+v, %d suppliers", s.Header, len(s.Suppliers))
	}
	p, state, err := c.SharedParamsAtHeight(ctx, 10)
	if err != nil || p.NumBlocksPerSession != 4 || state != 1000 {
		t.Fatalf("params %v at state %d, %v", p, state, err)
	}
	cupr, state, err := c.ComputeUnitsPerRelayAtHeight(ctx, svc, 9)
	if err != nil || cupr != 7 || state != 1000 {
		t.Fatalf("cupr %d at state %d, %v", cupr, state, err)
	}
	d, state, err := c.RelayMiningDifficultyAtHeight(ctx, svc, 9)
	if err != nil || d.TargetHash[0] != 0xff || state != 1000 {
		t.Fatalf("difficulty %v at state %d, %v", d, state, err)
	}
	acc, err := c.Account(ctx, appAddr)
	if err != nil {
		t.Fatal(err)
	}
	if acc.Address != appAddr || acc.AccountNumber != 12 || acc.Sequence != 3 || !acc.PubKey.Equals(pk) {
		t.Fatalf("account %+v", acc)
	}
	acc, err = c.Account(ctx, supAddr)
	if err != nil || acc.PubKey != nil {
		t.Fatalf("account without key: %+v, %v", acc, err)
	}
	if _, err := c.ProofParams(ctx); err != nil {
		t.Fatal(err)
	}
	bal, err := c.Balance(ctx, appAddr, "upokt")
	if err != nil || !bal.Amount.IsZero() {
		t.Fatalf("balance %v, %v", bal, err)
	}
}

func TestConfigValidation(t *testing.T) {
	for _, cfg := range []query.Config{
		{},
		{GRPCAddr: "x:1", Timeout: -1},
		{CometRPCURL: "tcp://127.0.0.1:26657"},
		{GRPCAddr: "x:1", MaxRetries: -2},
	} {
		if _, err := query.New(cfg, nil); err == nil {
			t.Errorf("New(%+v) = nil error", cfg)
		}
	}
}
