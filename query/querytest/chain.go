package querytest

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strconv"
	"sync"
	"testing"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	grpctypes "github.com/cosmos/cosmos-sdk/types/grpc"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	apptypes "github.com/pokt-network/poktroll/x/application/types"
	prooftypes "github.com/pokt-network/poktroll/x/proof/types"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	suppliertypes "github.com/pokt-network/poktroll/x/supplier/types"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/shannon-ops/pocket-relay-miner/query"
)

// Full gRPC method names, for Calls, FailNext and Hang.
const (
	MethodGetSession     = "/pocket.session.Query/GetSession"
	MethodSharedParams   = "/pocket.shared.Query/Params"
	MethodSharedAtHeight = "/pocket.shared.Query/ParamsAtHeight"
	MethodApplication    = "/pocket.application.Query/Application"
	MethodSupplier       = "/pocket.supplier.Query/Supplier"
	MethodService        = "/pocket.service.Query/Service"
	MethodCUPRAtHeight   = "/pocket.service.Query/ComputeUnitsPerRelayAtHeight"
	MethodDifficultyAt   = "/pocket.service.Query/RelayMiningDifficultyAtHeight"
	MethodProofParams    = "/pocket.proof.Query/Params"
	MethodClaim          = "/pocket.proof.Query/Claim"
	MethodAccount        = "/cosmos.auth.v1beta1.Query/Account"
	MethodBalance        = "/cosmos.bank.v1beta1.Query/Balance"
)

// Chain is a fake node's gRPC query surface. Its setters and counters are safe for concurrent
// use with the server.
type Chain struct {
	// Addr is the loopback host:port the server listens on (insecure).
	Addr string

	srv *grpc.Server

	mu         sync.Mutex
	calls      map[string]int
	inject     map[string][]error
	hang       map[string]bool
	shared     sharedtypes.Params
	history    []sharedtypes.ParamsUpdate // shared params changes, by effective height
	apps       map[string]apptypes.Application
	suppliers  map[string]sharedtypes.Supplier
	sessions   map[string][]*sharedtypes.Supplier // app/service → suppliers
	services   map[string]sharedtypes.Service
	cupr       map[string]uint64
	difficulty map[string]servicetypes.RelayMiningDifficulty
	accounts   map[string]*authtypes.BaseAccount
	claims     map[string]prooftypes.Claim
	balances   map[string]sdk.Coin
	proof      prooftypes.Params
	lastHeight int64
}

// Start serves a Chain on a free loopback port until t ends. Shared params start as the
// chain's defaults with short (4-block) sessions and windows; the last committed height is 1000.
func Start(t testing.TB) *Chain {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("querytest: listen: %v", err)
	}
	c := &Chain{
		Addr:       lis.Addr().String(),
		calls:      map[string]int{},
		inject:     map[string][]error{},
		hang:       map[string]bool{},
		shared:     sharedtypes.DefaultParams(),
		apps:       map[string]apptypes.Application{},
		suppliers:  map[string]sharedtypes.Supplier{},
		sessions:   map[string][]*sharedtypes.Supplier{},
		services:   map[string]sharedtypes.Service{},
		cupr:       map[string]uint64{},
		difficulty: map[string]servicetypes.RelayMiningDifficulty{},
		accounts:   map[string]*authtypes.BaseAccount{},
		claims:     map[string]prooftypes.Claim{},
		balances:   map[string]sdk.Coin{},
		proof:      prooftypes.DefaultParams(),
		lastHeight: 1000,
	}
	c.shared.NumBlocksPerSession = 4
	c.shared.GracePeriodEndOffsetBlocks = 1
	c.shared.ClaimWindowOpenOffsetBlocks = 1
	c.shared.ClaimWindowCloseOffsetBlocks = 1
	c.shared.ProofWindowOpenOffsetBlocks = 0
	c.shared.ProofWindowCloseOffsetBlocks = 1
	c.shared.SupplierUnbondingPeriodSessions = 2
	c.shared.ApplicationUnbondingPeriodSessions = 2
	c.shared.GatewayUnbondingPeriodSessions = 2
	c.srv = grpc.NewServer(grpc.ForceServerCodec(query.Codec()), grpc.UnaryInterceptor(c.intercept))
	sessiontypes.RegisterQueryServer(c.srv, &sessionServer{c: c})
	sharedtypes.RegisterQueryServer(c.srv, &sharedServer{c: c})
	apptypes.RegisterQueryServer(c.srv, &appServer{c: c})
	suppliertypes.RegisterQueryServer(c.srv, &supplierServer{c: c})
	servicetypes.RegisterQueryServer(c.srv, &serviceServer{c: c})
	prooftypes.RegisterQueryServer(c.srv, &proofServer{c: c})
	authtypes.RegisterQueryServer(c.srv, &authServer{c: c})
	banktypes.RegisterQueryServer(c.srv, &bankServer{c: c})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.srv.Serve(lis)
	}()
	t.Cleanup(func() {
		c.srv.Stop()
		<-done
	})
	return c
}

// intercept counts the call, then fails it with an injected error, hangs it, or serves it.
func (c *Chain) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	c.mu.Lock()
	c.calls[info.FullMethod]++
	var injected error
	if q := c.inject[info.FullMethod]; len(q) > 0 {
		injected, c.inject[info.FullMethod] = q[0], q[1:]
	}
	hang := c.hang[info.FullMethod]
	last := c.lastHeight
	c.mu.Unlock()
	if injected != nil {
		return nil, injected
	}
	if hang {
		<-ctx.Done()
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	// Like a Cosmos node, name the committed height whose state answers (cosmos-sdk
	// baseapp/grpcserver.go sets this header on every query).
	if err := grpc.SetHeader(ctx, metadata.Pairs(grpctypes.GRPCBlockHeightHeader, strconv.FormatInt(last, 10))); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return h(ctx, req)
}

// Calls returns how many calls of fullMethod the server received.
func (c *Chain) Calls(fullMethod string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[fullMethod]
}

// TotalCalls returns how many calls the server received, all methods together.
func (c *Chain) TotalCalls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.calls {
		n += v
	}
	return n
}

// FailNext makes the next len(errs) calls of fullMethod fail with errs, in order.
func (c *Chain) FailNext(fullMethod string, errs ...error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inject[fullMethod] = append(c.inject[fullMethod], errs...)
}

// Hang makes calls of fullMethod block until their deadline (on) or be served (off).
func (c *Chain) Hang(fullMethod string, on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hang[fullMethod] = on
}

// SetSharedParams replaces the live shared params, which answer every height without a
// history entry at or below it.
func (c *Chain) SetSharedParams(p sharedtypes.Params) { c.with(func() { c.shared = p }) }

// SharedParams returns the live shared params.
func (c *Chain) SharedParams() sharedtypes.Params {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.shared
}

// RecordSharedParams records a shared params change taking effect at effective, as poktroll
// v0.1.35's MsgUpdateParam(s) does (a params history entry at the next session start,
// overwriting one already recorded there). The live params stay as they are.
func (c *Chain) RecordSharedParams(effective int64, p sharedtypes.Params) {
	c.with(func() {
		for i := range c.history {
			if c.history[i].EffectiveHeight == effective {
				c.history[i].Params = &p
				return
			}
		}
		c.history = append(c.history, sharedtypes.ParamsUpdate{EffectiveHeight: effective, Params: &p})
		sort.Slice(c.history, func(i, j int) bool { return c.history[i].EffectiveHeight < c.history[j].EffectiveHeight })
	})
}

// SharedParamsAt returns what poktroll v0.1.35's ParamsAtHeight answers for height: the newest
// history entry at or below it, else the live params (x/shared/keeper/params.go).
func (c *Chain) SharedParamsAt(height int64) sharedtypes.Params {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sharedAtLocked(height)
}

func (c *Chain) sharedAtLocked(height int64) sharedtypes.Params {
	for i := len(c.history) - 1; i >= 0; i-- {
		if c.history[i].EffectiveHeight <= height {
			return *c.history[i].Params
		}
	}
	return c.shared
}

// SetLastHeight sets the last committed height: GetSession above it fails as pocketd does,
// and every answer names it as its state height (x-cosmos-block-height).
func (c *Chain) SetLastHeight(h int64) { c.with(func() { c.lastHeight = h }) }

// SetApplication stores app under its address.
func (c *Chain) SetApplication(app apptypes.Application) {
	c.with(func() { c.apps[app.Address] = app })
}

// SetSupplier stores s under its operator address.
func (c *Chain) SetSupplier(s sharedtypes.Supplier) {
	c.with(func() { c.suppliers[s.OperatorAddress] = s })
}

// SetService stores a service with its current CUPR.
func (c *Chain) SetService(s sharedtypes.Service) {
	c.with(func() { c.services[s.Id] = s; c.cupr[s.Id] = s.ComputeUnitsPerRelay })
}

// SetDifficulty stores the difficulty of a service (at every height).
func (c *Chain) SetDifficulty(d servicetypes.RelayMiningDifficulty) {
	c.with(func() { c.difficulty[d.ServiceId] = d })
}

// SetSession makes (app, service) have a session at every height, with suppliers.
func (c *Chain) SetSession(app, service string, suppliers ...*sharedtypes.Supplier) {
	c.with(func() { c.sessions[app+"/"+service] = suppliers })
}

// SetAccount stores an account with pub (nil for an account that never signed).
func (c *Chain) SetAccount(addr string, number, sequence uint64, pub *secp256k1.PubKey) {
	acc := &authtypes.BaseAccount{Address: addr, AccountNumber: number, Sequence: sequence}
	if pub != nil {
		any, err := codectypes.NewAnyWithValue(pub)
		if err != nil {
			panic(err)
		}
		acc.PubKey = any
	}
	c.with(func() { c.accounts[addr] = acc })
}

// SetClaim stores a claim under its session id and operator.
func (c *Chain) SetClaim(cl prooftypes.Claim) {
	c.with(func() {
		c.claims[cl.SessionHeader.SessionId+"/"+cl.SupplierOperatorAddress] = cl
	})
}

// SetProofParams replaces the proof params (the chain's defaults at start).
func (c *Chain) SetProofParams(p prooftypes.Params) { c.with(func() { c.proof = p }) }

// SetBalance stores the balance of addr.
func (c *Chain) SetBalance(addr string, coin sdk.Coin) {
	c.with(func() { c.balances[addr+"/"+coin.Denom] = coin })
}

func (c *Chain) with(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f()
}

// SessionID is the fake session id of (app, service, start).
func SessionID(app, service string, start int64) string {
	return fmt.Sprintf("%s-%s-%d", app, service, start)
}
