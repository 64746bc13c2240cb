package tx

import (
	"context"
	"fmt"
	"strings"

	nodeservice "github.com/cosmos/cosmos-sdk/client/grpc/node"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/shannon-ops/pocket-relay-miner/query"
)

// GRPCNode is a Node over the Cosmos gRPC services of a full node (default port 9090):
// cosmos.tx.v1beta1.Service Simulate, BroadcastTx (sync) and GetTx, and
// cosmos.base.node.v1beta1.Service Status for the latest height.
type GRPCNode struct {
	tx   txtypes.ServiceClient
	node nodeservice.ServiceClient
	opts []grpc.CallOption
}

// NewGRPCNode uses conn, which the caller dials and closes. Messages are encoded with
// gogoproto (query.Codec), whatever codec conn was dialed with.
func NewGRPCNode(conn grpc.ClientConnInterface) *GRPCNode {
	return &GRPCNode{
		tx:   txtypes.NewServiceClient(conn),
		node: nodeservice.NewServiceClient(conn),
		opts: []grpc.CallOption{grpc.ForceCodec(query.Codec())},
	}
}

// Simulate implements Node.
func (n *GRPCNode) Simulate(ctx context.Context, txBytes []byte) (uint64, error) {
	r, err := n.tx.Simulate(ctx, &txtypes.SimulateRequest{TxBytes: txBytes}, n.opts...)
	if err != nil {
		if st, ok := status.FromError(err); ok && st.Code() == codes.Unknown {
			// The chain ran the tx and refused it; only the text of its error survives.
			return 0, newChainError(StageSimulate, 0, "", st.Message(), "", 0)
		}
		return 0, grpcError(ctx, "simulate", err)
	}
	if r.GasInfo == nil {
		return 0, fmt.Errorf("simulate: answer without gas info")
	}
	return r.GasInfo.GasUsed, nil
}

// BroadcastSync implements Node.
func (n *GRPCNode) BroadcastSync(ctx context.Context, txBytes []byte) (CheckTx, error) {
	r, err := n.tx.BroadcastTx(ctx, &txtypes.BroadcastTxRequest{TxBytes: txBytes, Mode: txtypes.BroadcastMode_BROADCAST_MODE_SYNC}, n.opts...)
	if err != nil {
		return CheckTx{}, grpcError(ctx, "broadcast", err)
	}
	if r.TxResponse == nil {
		return CheckTx{}, fmt.Errorf("broadcast: answer without tx response")
	}
	t := r.TxResponse
	return CheckTx{Hash: strings.ToUpper(t.TxHash), Code: t.Code, Codespace: t.Codespace, Log: t.RawLog}, nil
}

// GetTx implements Node.
func (n *GRPCNode) GetTx(ctx context.Context, hash string) (Result, bool, error) {
	r, err := n.tx.GetTx(ctx, &txtypes.GetTxRequest{Hash: hash}, n.opts...)
	if err != nil {
		if status.Code(err) == codes.NotFound {
			return Result{}, false, nil
		}
		return Result{}, false, grpcError(ctx, "get tx", err)
	}
	t := r.TxResponse
	if t == nil {
		return Result{}, false, fmt.Errorf("get tx: answer without tx response")
	}
	return Result{
		Hash: strings.ToUpper(t.TxHash), Height: t.Height, Code: t.Code, Codespace: t.Codespace,
		Log: t.RawLog, GasWanted: t.GasWanted, GasUsed: t.GasUsed, Events: t.Events,
	}, true, nil
}

// LatestHeight implements Node.
func (n *GRPCNode) LatestHeight(ctx context.Context) (int64, error) {
	r, err := n.node.Status(ctx, &nodeservice.StatusRequest{}, n.opts...)
	if err != nil {
		return 0, grpcError(ctx, "node status", err)
	}
	return int64(r.Height), nil
}

// grpcError wraps transport-level failures with ErrUnavailable. The caller's own cancellation
// is returned as the context's error.
func grpcError(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%s: %w", op, cerr)
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted, codes.Canceled:
		return fmt.Errorf("%s: %w: %w", op, ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
