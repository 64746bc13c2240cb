package querytest

import (
	"context"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	apptypes "github.com/pokt-network/poktroll/x/application/types"
	prooftypes "github.com/pokt-network/poktroll/x/proof/types"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	suppliertypes "github.com/pokt-network/poktroll/x/supplier/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

type sessionServer struct {
	sessiontypes.UnimplementedQueryServer
	c *Chain
}

// GetSession answers like pocketd: errors of hydration come back as codes.Internal with the
// registered error's text.
func (s sessionServer) GetSession(_ context.Context, r *sessiontypes.QueryGetSessionRequest) (*sessiontypes.QueryGetSessionResponse, error) {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	h := r.BlockHeight
	if h == 0 {
		h = c.lastHeight
	}
	if h > c.lastHeight {
		return nil, status.Error(codes.Internal, sessiontypes.ErrSessionHydration.Wrapf(
			"block height %d is ahead of the last committed block height %d", h, c.lastHeight).Error())
	}
	app, ok := c.apps[r.ApplicationAddress]
	if !ok {
		return nil, status.Error(codes.Internal, sessiontypes.ErrSessionAppNotFound.Wrapf(
			"could not find app with address %q at height %d", r.ApplicationAddress, h).Error())
	}
	sups, ok := c.sessions[r.ApplicationAddress+"/"+r.ServiceId]
	if !ok || len(sups) == 0 {
		return nil, status.Error(codes.Internal, sessiontypes.ErrSessionSuppliersNotFound.Wrapf(
			"could not find suppliers for service %s at height %d", r.ServiceId, h).Error())
	}
	p := c.sharedAtLocked(h)
	start := sharedtypes.GetSessionStartHeight(&p, h)
	id := SessionID(r.ApplicationAddress, r.ServiceId, start)
	return &sessiontypes.QueryGetSessionResponse{Session: &sessiontypes.Session{
		Header: &sessiontypes.SessionHeader{
			ApplicationAddress:      r.ApplicationAddress,
			ServiceId:               r.ServiceId,
			SessionId:               id,
			SessionStartBlockHeight: start,
			SessionEndBlockHeight:   sharedtypes.GetSessionEndHeight(&p, h),
		},
		SessionId:           id,
		SessionNumber:       sharedtypes.GetSessionNumber(&p, h),
		NumBlocksPerSession: int64(p.NumBlocksPerSession),
		Application:         &app,
		Suppliers:           sups,
	}}, nil
}

type sharedServer struct {
	sharedtypes.UnimplementedQueryServer
	c *Chain
}

func (s sharedServer) Params(context.Context, *sharedtypes.QueryParamsRequest) (*sharedtypes.QueryParamsResponse, error) {
	return &sharedtypes.QueryParamsResponse{Params: s.c.SharedParams()}, nil
}

func (s sharedServer) ParamsAtHeight(_ context.Context, r *sharedtypes.QueryParamsAtHeightRequest) (*sharedtypes.QueryParamsAtHeightResponse, error) {
	if r.Height < 0 {
		return nil, status.Error(codes.InvalidArgument, "height must be non-negative")
	}
	return &sharedtypes.QueryParamsAtHeightResponse{Params: s.c.SharedParamsAt(r.Height)}, nil
}

type appServer struct {
	apptypes.UnimplementedQueryServer
	c *Chain
}

func (s appServer) Application(_ context.Context, r *apptypes.QueryGetApplicationRequest) (*apptypes.QueryGetApplicationResponse, error) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	app, ok := s.c.apps[r.Address]
	if !ok {
		return nil, status.Error(codes.NotFound, apptypes.ErrAppNotFound.Wrapf("app address: %s", r.Address).Error())
	}
	return &apptypes.QueryGetApplicationResponse{Application: app}, nil
}

type supplierServer struct {
	suppliertypes.UnimplementedQueryServer
	c *Chain
}

func (s supplierServer) Supplier(_ context.Context, r *suppliertypes.QueryGetSupplierRequest) (*suppliertypes.QueryGetSupplierResponse, error) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	sup, ok := s.c.suppliers[r.OperatorAddress]
	if !ok {
		return nil, status.Error(codes.NotFound, suppliertypes.ErrSupplierNotFound.Wrapf("supplier with operator address: %q", r.OperatorAddress).Error())
	}
	return &suppliertypes.QueryGetSupplierResponse{Supplier: sup}, nil
}

type serviceServer struct {
	servicetypes.UnimplementedQueryServer
	c *Chain
}

func (s serviceServer) Service(_ context.Context, r *servicetypes.QueryGetServiceRequest) (*servicetypes.QueryGetServiceResponse, error) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	svc, ok := s.c.services[r.Id]
	if !ok {
		return nil, status.Error(codes.NotFound, servicetypes.ErrServiceNotFound.Wrapf("serviceID: %s", r.Id).Error())
	}
	return &servicetypes.QueryGetServiceResponse{Service: svc}, nil
}

func (s serviceServer) ComputeUnitsPerRelayAtHeight(_ context.Context, r *servicetypes.QueryComputeUnitsPerRelayAtHeightRequest) (*servicetypes.QueryComputeUnitsPerRelayAtHeightResponse, error) {
	if r.ServiceId == "" {
		return nil, status.Error(codes.InvalidArgument, "service ID is required")
	}
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	v, ok := s.c.cupr[r.ServiceId]
	if !ok {
		return nil, status.Error(codes.NotFound, servicetypes.ErrServiceNotFound.Wrapf("serviceID: %s", r.ServiceId).Error())
	}
	return &servicetypes.QueryComputeUnitsPerRelayAtHeightResponse{ComputeUnitsPerRelay: v}, nil
}

func (s serviceServer) RelayMiningDifficultyAtHeight(_ context.Context, r *servicetypes.QueryGetRelayMiningDifficultyAtHeightRequest) (*servicetypes.QueryGetRelayMiningDifficultyAtHeightResponse, error) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	d, ok := s.c.difficulty[r.ServiceId]
	if !ok {
		return nil, status.Error(codes.NotFound, servicetypes.ErrServiceNotFound.Wrapf("serviceID: %s", r.ServiceId).Error())
	}
	return &servicetypes.QueryGetRelayMiningDifficultyAtHeightResponse{RelayMiningDifficulty: d}, nil
}

type proofServer struct {
	prooftypes.UnimplementedQueryServer
	c *Chain
}

func (s proofServer) Params(context.Context, *prooftypes.QueryParamsRequest) (*prooftypes.QueryParamsResponse, error) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	return &prooftypes.QueryParamsResponse{Params: s.c.proof}, nil
}

func (s proofServer) Claim(_ context.Context, r *prooftypes.QueryGetClaimRequest) (*prooftypes.QueryGetClaimResponse, error) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	cl, ok := s.c.claims[r.SessionId+"/"+r.SupplierOperatorAddress]
	if !ok {
		return nil, status.Error(codes.NotFound, prooftypes.ErrProofClaimNotFound.Wrapf("session ID %q and supplier %q", r.SessionId, r.SupplierOperatorAddress).Error())
	}
	return &prooftypes.QueryGetClaimResponse{Claim: cl}, nil
}

type authServer struct {
	authtypes.UnimplementedQueryServer
	c *Chain
}

func (s authServer) Account(_ context.Context, r *authtypes.QueryAccountRequest) (*authtypes.QueryAccountResponse, error) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	acc, ok := s.c.accounts[r.Address]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "account %s not found", r.Address)
	}
	any, err := codectypes.NewAnyWithValue(acc)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &authtypes.QueryAccountResponse{Account: any}, nil
}

type bankServer struct {
	banktypes.UnimplementedQueryServer
	c *Chain
}

func (s bankServer) Balance(_ context.Context, r *banktypes.QueryBalanceRequest) (*banktypes.QueryBalanceResponse, error) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	coin, ok := s.c.balances[r.Address+"/"+r.Denom]
	if !ok {
		coin = sdk.NewCoin(r.Denom, sdkmath.ZeroInt())
	}
	return &banktypes.QueryBalanceResponse{Balance: &coin}, nil
}
