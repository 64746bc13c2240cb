package query

import (
	"fmt"

	gogoproto "github.com/cosmos/gogoproto/proto"
)

// gogoCodec marshals gRPC messages with gogoproto, the encoding poktroll's and the Cosmos SDK's
// generated types are built for. The stock gRPC codec would go through protobuf-go's legacy
// reflection for these types.
type gogoCodec struct{}

// Name is "proto": on the wire this is the ordinary application/grpc+proto content type.
func (gogoCodec) Name() string { return "proto" }

func (gogoCodec) Marshal(v any) ([]byte, error) {
	m, ok := v.(gogoproto.Message)
	if !ok {
		return nil, fmt.Errorf("grpc codec: %T is not a gogoproto message", v)
	}
	return gogoproto.Marshal(m)
}

func (gogoCodec) Unmarshal(data []byte, v any) error {
	m, ok := v.(gogoproto.Message)
	if !ok {
		return fmt.Errorf("grpc codec: %T is not a gogoproto message", v)
	}
	return gogoproto.Unmarshal(data, m)
}

// Codec returns the gRPC codec the Client uses, so a test server can be built with
// grpc.ForceServerCodec(query.Codec()).
func Codec() interface {
	Name() string
	Marshal(v any) ([]byte, error)
	Unmarshal(data []byte, v any) error
} {
	return gogoCodec{}
}
