package backend

import (
	"context"
	"fmt"
	"strconv"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// GRPCServiceName is the full name of the backend's gRPC service.
const GRPCServiceName = "backend.v1.Backend"

// Full method names, for clients that invoke the service without generated stubs.
const (
	GRPCEchoMethod   = "/" + GRPCServiceName + "/Echo"
	GRPCStreamMethod = "/" + GRPCServiceName + "/Stream"
)

// grpcService is the handler type the service descriptor names.
type grpcService interface {
	echo(ctx context.Context, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error)
	stream(in *wrapperspb.UInt32Value, out grpc.ServerStream) error
}

// grpcDesc describes backend.v1.Backend by hand, so no protoc output is needed:
//
//	rpc Echo(google.protobuf.BytesValue) returns (google.protobuf.BytesValue);
//	rpc Stream(google.protobuf.UInt32Value) returns (stream google.protobuf.BytesValue);
//
// Echo returns its input (or size bytes). Stream sends the requested number of messages (0 means
// the count knob), interval apart, each holding {"n":i}.
var grpcDesc = grpc.ServiceDesc{
	ServiceName: GRPCServiceName,
	HandlerType: (*grpcService)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Echo",
		Handler: func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.BytesValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			return srv.(grpcService).echo(ctx, in)
		},
	}},
	Streams: []grpc.StreamDesc{{
		StreamName:    "Stream",
		ServerStreams: true,
		Handler: func(srv any, stream grpc.ServerStream) error {
			in := new(wrapperspb.UInt32Value)
			if err := stream.RecvMsg(in); err != nil {
				return err
			}
			return srv.(grpcService).stream(in, stream)
		},
	}},
	Metadata: "backend/v1/backend.proto",
}

// newGRPCServer builds the gRPC server with the backend service, grpc.health.v1 (SERVING) and
// server reflection (which lists the backend service; its messages are well-known wrappers).
func newGRPCServer(s *Server) *grpc.Server {
	g := grpc.NewServer()
	g.RegisterService(&grpcDesc, grpcHandler{s})
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus(GRPCServiceName, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(g, hs)
	reflection.Register(g)
	return g
}

type grpcHandler struct{ s *Server }

// callKnobs applies x-backend-* metadata to the defaults, waits the delay and draws a failure.
// x-backend-status is a numeric gRPC code here (0 = OK); the HTTP status default does not apply.
func (h grpcHandler) callKnobs(ctx context.Context) (knobs, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	get := func(name string) string {
		if v := md.Get("x-backend-" + name); len(v) > 0 {
			return v[0]
		}
		return ""
	}
	k, err := applyKnobs(h.s.defaults, func(name string) string {
		if name == "status" {
			return "" // read below as a gRPC code
		}
		return get(name)
	})
	code := codes.OK
	if v := get("status"); v != "" && err == nil {
		n, perr := strconv.ParseUint(v, 10, 32)
		if perr != nil || n > 16 {
			err = fmt.Errorf("status: want a gRPC code 0..16, got %q", v)
		}
		code = codes.Code(n)
	}
	if err != nil {
		return k, status.Error(codes.InvalidArgument, "backend: "+err.Error())
	}
	if !wait(ctx, k.delay) {
		return k, status.FromContextError(ctx.Err()).Err()
	}
	if k.fail() {
		return k, status.Error(codes.Unavailable, "backend: injected failure")
	}
	if code != codes.OK {
		return k, status.Error(code, "backend: status "+code.String()+" requested")
	}
	return k, nil
}

func (h grpcHandler) echo(ctx context.Context, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
	k, err := h.callKnobs(ctx)
	if err != nil {
		return nil, err
	}
	if k.size > 0 {
		return wrapperspb.Bytes(padding[:k.size]), nil
	}
	return in, nil
}

func (h grpcHandler) stream(in *wrapperspb.UInt32Value, out grpc.ServerStream) error {
	ctx := out.Context()
	k, err := h.callKnobs(ctx)
	if err != nil {
		return err
	}
	n := int(in.GetValue())
	if n == 0 {
		n = k.count
	}
	var b []byte
	for i := 1; i <= n; i++ {
		if i > 1 && !wait(ctx, k.interval) {
			return status.FromContextError(ctx.Err()).Err()
		}
		b = appendEvent(make([]byte, 0, 16+k.size), i, k)
		if err := out.SendMsg(wrapperspb.Bytes(b)); err != nil {
			return err
		}
	}
	return nil
}
