package query

import (
	"strconv"

	grpctypes "github.com/cosmos/cosmos-sdk/types/grpc"
	"google.golang.org/grpc/metadata"
)

// stateHeight is the committed height of the state a Cosmos node answered a query from: its
// gRPC server sets the x-cosmos-block-height response header on every query (cosmos-sdk
// baseapp/grpcserver.go; the latest committed height when the request names none). 0 when the
// header is absent or malformed, which callers treat as "unknown", never as a height.
func stateHeight(md metadata.MD) int64 {
	v := md.Get(grpctypes.GRPCBlockHeightHeader)
	if len(v) != 1 {
		return 0
	}
	h, err := strconv.ParseInt(v[0], 10, 64)
	if err != nil || h < 0 {
		return 0
	}
	return h
}
