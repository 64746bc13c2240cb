package backend

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func dialGRPC(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	cc, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

// grpcAddrs serves the backend's gRPC both on the shared h2c port and on a dedicated listener.
func grpcAddrs(t *testing.T) map[string]string {
	s, ts := start(t, Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.GRPCServer().Serve(ln) }()
	t.Cleanup(func() {
		s.GRPCServer().Stop()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return map[string]string{"h2c": strings.TrimPrefix(ts.URL, "http://"), "dedicated": ln.Addr().String()}
}

func TestGRPC(t *testing.T) {
	for name, addr := range grpcAddrs(t) {
		t.Run(name, func(t *testing.T) {
			cc := dialGRPC(t, addr)
			ctx := t.Context()

			out := new(wrapperspb.BytesValue)
			if err := cc.Invoke(ctx, GRPCEchoMethod, wrapperspb.Bytes([]byte("ping")), out); err != nil {
				t.Fatalf("Echo: %v", err)
			}
			if string(out.GetValue()) != "ping" {
				t.Fatalf("Echo returned %q", out.GetValue())
			}

			sized := metadata.AppendToOutgoingContext(ctx, "x-backend-size", "4")
			if err := cc.Invoke(sized, GRPCEchoMethod, wrapperspb.Bytes(nil), out); err != nil || string(out.GetValue()) != "xxxx" {
				t.Fatalf("sized Echo: %q %v", out.GetValue(), err)
			}

			failing := metadata.AppendToOutgoingContext(ctx, "x-backend-status", "8")
			err := cc.Invoke(failing, GRPCEchoMethod, wrapperspb.Bytes(nil), out)
			if status.Code(err) != codes.ResourceExhausted {
				t.Fatalf("status knob: got %v, want ResourceExhausted", err)
			}

			st, err := cc.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, GRPCStreamMethod)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.SendMsg(wrapperspb.UInt32(3)); err != nil {
				t.Fatal(err)
			}
			if err := st.CloseSend(); err != nil {
				t.Fatal(err)
			}
			var got []string
			for {
				m := new(wrapperspb.BytesValue)
				if err := st.RecvMsg(m); errors.Is(err, io.EOF) {
					break
				} else if err != nil {
					t.Fatalf("Stream: %v", err)
				}
				got = append(got, string(m.GetValue()))
			}
			if strings.Join(got, ",") != `{"n":1},{"n":2},{"n":3}` {
				t.Fatalf("Stream got %v", got)
			}

			h, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{Service: GRPCServiceName})
			if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				t.Fatalf("health: %v %v", h, err)
			}
		})
	}
}
