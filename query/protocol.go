package query

import (
	"context"

	apptypes "github.com/pokt-network/poktroll/x/application/types"
	prooftypes "github.com/pokt-network/poktroll/x/proof/types"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	suppliertypes "github.com/pokt-network/poktroll/x/supplier/types"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// Session returns the session of (app, service) that contains height. height 0 asks for the
// node's latest height. An empty answer is ErrInvalid, never a zero session.
func (c *Client) Session(ctx context.Context, app, service string, height int64) (*sessiontypes.Session, error) {
	var out *sessiontypes.Session
	err := c.grpc(ctx, MethodSession, func(ctx context.Context) error {
		r, err := c.session.GetSession(ctx, &sessiontypes.QueryGetSessionRequest{
			ApplicationAddress: app, ServiceId: service, BlockHeight: height,
		})
		if err != nil {
			return err
		}
		if r.Session == nil || r.Session.Header == nil {
			return errEmpty
		}
		out = r.Session
		return nil
	})
	return out, err
}

// SessionParams returns the live session module params (num_suppliers_per_session).
func (c *Client) SessionParams(ctx context.Context) (*sessiontypes.Params, error) {
	var out *sessiontypes.Params
	err := c.grpc(ctx, MethodSessionParams, func(ctx context.Context) error {
		r, err := c.session.Params(ctx, &sessiontypes.QueryParamsRequest{})
		if err == nil {
			out = &r.Params
		}
		return err
	})
	return out, err
}

// SharedParams returns the live shared params.
func (c *Client) SharedParams(ctx context.Context) (*sharedtypes.Params, error) {
	var out *sharedtypes.Params
	err := c.grpc(ctx, MethodSharedParams, func(ctx context.Context) error {
		r, err := c.shared.Params(ctx, &sharedtypes.QueryParamsRequest{})
		if err == nil {
			out = &r.Params
		}
		return err
	})
	return out, err
}

// SharedParamsAtHeight returns the shared params in effect at height (use the session end
// height for windows and the session start height for pricing) and the committed height of
// the node state that answered (0 if the node did not say). The answer for a height the chain
// has not reached can still change: see package cache for when it is final.
func (c *Client) SharedParamsAtHeight(ctx context.Context, height int64) (*sharedtypes.Params, int64, error) {
	var out *sharedtypes.Params
	var state int64
	err := c.grpc(ctx, MethodSharedParamsAtHeight, func(ctx context.Context) error {
		var md metadata.MD
		r, err := c.shared.ParamsAtHeight(ctx, &sharedtypes.QueryParamsAtHeightRequest{Height: height}, grpc.Header(&md))
		if err == nil {
			out, state = &r.Params, stateHeight(md)
		}
		return err
	})
	return out, state, err
}

// Application returns the application staked at address.
func (c *Client) Application(ctx context.Context, address string) (*apptypes.Application, error) {
	var out *apptypes.Application
	err := c.grpc(ctx, MethodApplication, func(ctx context.Context) error {
		r, err := c.application.Application(ctx, &apptypes.QueryGetApplicationRequest{Address: address})
		if err == nil {
			out = &r.Application
		}
		return err
	})
	return out, err
}

// Supplier returns the hydrated supplier whose operator is operator.
func (c *Client) Supplier(ctx context.Context, operator string) (*sharedtypes.Supplier, error) {
	var out *sharedtypes.Supplier
	err := c.grpc(ctx, MethodSupplier, func(ctx context.Context) error {
		r, err := c.supplier.Supplier(ctx, &suppliertypes.QueryGetSupplierRequest{OperatorAddress: operator})
		if err == nil {
			out = &r.Supplier
		}
		return err
	})
	return out, err
}

// Service returns the service with id.
func (c *Client) Service(ctx context.Context, id string) (*sharedtypes.Service, error) {
	var out *sharedtypes.Service
	err := c.grpc(ctx, MethodService, func(ctx context.Context) error {
		r, err := c.service.Service(ctx, &servicetypes.QueryGetServiceRequest{Id: id})
		if err == nil {
			out = &r.Service
		}
		return err
	})
	return out, err
}

// ComputeUnitsPerRelayAtHeight returns the CUPR of service in effect at height (use the
// session start height) and the committed height of the node state that answered (0 if the
// node did not say). Zero is ErrInvalid: the chain never prices a relay at 0.
func (c *Client) ComputeUnitsPerRelayAtHeight(ctx context.Context, service string, height int64) (uint64, int64, error) {
	var out uint64
	var state int64
	err := c.grpc(ctx, MethodCUPRAtHeight, func(ctx context.Context) error {
		var md metadata.MD
		r, err := c.service.ComputeUnitsPerRelayAtHeight(ctx, &servicetypes.QueryComputeUnitsPerRelayAtHeightRequest{
			ServiceId: service, BlockHeight: height,
		}, grpc.Header(&md))
		if err != nil {
			return err
		}
		if r.ComputeUnitsPerRelay == 0 {
			return errEmpty
		}
		out, state = r.ComputeUnitsPerRelay, stateHeight(md)
		return nil
	})
	return out, state, err
}

// RelayMiningDifficultyAtHeight returns the relay mining difficulty of service in effect at
// height (use the session start height) and the committed height of the node state that
// answered (0 if the node did not say).
func (c *Client) RelayMiningDifficultyAtHeight(ctx context.Context, service string, height int64) (*servicetypes.RelayMiningDifficulty, int64, error) {
	var out *servicetypes.RelayMiningDifficulty
	var state int64
	err := c.grpc(ctx, MethodDifficultyAtHeight, func(ctx context.Context) error {
		var md metadata.MD
		r, err := c.service.RelayMiningDifficultyAtHeight(ctx, &servicetypes.QueryGetRelayMiningDifficultyAtHeightRequest{
			ServiceId: service, BlockHeight: height,
		}, grpc.Header(&md))
		if err != nil {
			return err
		}
		if len(r.RelayMiningDifficulty.TargetHash) == 0 {
			return errEmpty
		}
		out, state = &r.RelayMiningDifficulty, stateHeight(md)
		return nil
	})
	return out, state, err
}

// ProofParams returns the live proof module params.
func (c *Client) ProofParams(ctx context.Context) (*prooftypes.Params, error) {
	var out *prooftypes.Params
	err := c.grpc(ctx, MethodProofParams, func(ctx context.Context) error {
		r, err := c.proof.Params(ctx, &prooftypes.QueryParamsRequest{})
		if err == nil {
			out = &r.Params
		}
		return err
	})
	return out, err
}

// Claim returns the claim of operator for sessionID; ErrNotFound when there is none.
func (c *Client) Claim(ctx context.Context, sessionID, operator string) (*prooftypes.Claim, error) {
	var out *prooftypes.Claim
	err := c.grpc(ctx, MethodClaim, func(ctx context.Context) error {
		r, err := c.proof.Claim(ctx, &prooftypes.QueryGetClaimRequest{SessionId: sessionID, SupplierOperatorAddress: operator})
		if err == nil {
			out = &r.Claim
		}
		return err
	})
	return out, err
}

// grpc runs one gRPC call through the retry policy.
func (c *Client) grpc(ctx context.Context, me Method, attempt func(ctx context.Context) error) error {
	if c.conn == nil {
		return c.call.do(ctx, me, func(context.Context) error { return errNoGRPC })
	}
	return c.call.do(ctx, me, attempt)
}
