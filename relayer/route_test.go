package relayer

import (
	"context"
	"net/http"
	"testing"

	sdktypes "github.com/pokt-network/shannon-sdk/types"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

type nopBackend struct{}

func (nopBackend) Relay(context.Context, *sdktypes.POKTHTTPRequest, *RelayContext) ([]byte, int, error) {
	return nil, 200, nil
}
func (nopBackend) Healthy() bool { return true }

// TestRouteMatchesPoktroll runs every kind of Rpc-Type header value against services with one
// backend and with several. The rule is poktroll v0.1.35's (pkg/relayer/proxy/sync.go,
// getServiceConfig): no header or an empty one takes the default backend; a value that is not
// a decimal integer is refused as an internal error (relayer_proxy 5); an integer is converted
// to RPCType (int32, so 4294967299 is 3) and takes that type's backend when the service has one,
// otherwise the default backend. strict_rpc_type refuses the fallback (relayer_proxy 4).
func TestRouteMatchesPoktroll(t *testing.T) {
	m, err := newMetrics(prometheus.NewRegistry(), func() float64 { return 0 })
	if err != nil {
		t.Fatal(err)
	}
	build := func(id string, sc config.Service, types ...string) *service {
		sc.Backends = map[config.RPCType]*config.Backend{}
		bs := map[config.RPCType]Backend{}
		for _, ty := range types {
			ty := config.RPCType(ty)
			sc.Backends[ty] = &config.Backend{}
			bs[ty] = nopBackend{}
		}
		svc, err := newService(id, &sc, &config.Relayer{}, bs, m)
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	const (
		J, R, C, G = "jsonrpc", "rest", "cometbft", "grpc"
		bad        = "bad"    // refused: unparsable (relayer_proxy 5)
		no         = "refuse" // refused: no backend (relayer_proxy 4)
	)
	services := map[string]*service{
		"jsonrpc-only":     build("a", config.Service{}, J),
		"rest-only":        build("b", config.Service{}, R),
		"several":          build("c", config.Service{}, J, R, C, G),
		"default-cometbft": build("d", config.Service{DefaultBackend: C}, R, C),
		"no-default":       build("e", config.Service{}, R, C),
		"strict-jsonrpc":   build("f", config.Service{StrictRPCType: true}, J),
		"strict-several":   build("g", config.Service{StrictRPCType: true}, J, R),
	}
	headers := []string{"<none>", "", "0", "1", "3", "4", "5", "6", "99", "-1", "+4", "4294967299", "02", "abc", " 3", "3.0"}
	want := map[string][]string{
		//                  <none> ""  0   1   3   4   5   6   99  -1  +4  2^32+3 02  abc " 3" 3.0
		"jsonrpc-only":     {J, J, J, J, J, J, J, J, J, J, J, J, J, bad, bad, bad},
		"rest-only":        {R, R, R, R, R, R, R, R, R, R, R, R, R, bad, bad, bad},
		"several":          {J, J, J, G, J, R, C, J, J, J, R, J, J, bad, bad, bad},
		"default-cometbft": {C, C, C, C, C, R, C, C, C, C, R, C, C, bad, bad, bad},
		"no-default":       {no, no, no, no, no, R, C, no, no, no, R, no, no, bad, bad, bad},
		"strict-jsonrpc":   {J, J, no, no, J, no, no, no, no, no, no, J, no, bad, bad, bad},
		"strict-several":   {J, J, no, no, J, R, no, no, no, no, R, J, no, bad, bad, bad},
	}
	for name, svc := range services {
		for i, hv := range headers {
			h := http.Header{}
			if hv != "<none>" {
				h[rpcTypeHeader] = []string{hv}
			}
			got, err := svc.resolve(h)
			exp := want[name][i]
			switch exp {
			case bad:
				if reasonOf(err) != reasonBadRPCType || protocolErrors[reasonOf(err)] != errProxyInternal {
					t.Errorf("%s, Rpc-Type %q: got %q %v, want relayer_proxy 5", name, hv, got, err)
				}
			case no:
				if reasonOf(err) != reasonUnsupportedRPCType || protocolErrors[reasonOf(err)] != errProxyTransport {
					t.Errorf("%s, Rpc-Type %q: got %q %v, want relayer_proxy 4", name, hv, got, err)
				}
			default:
				if err != nil || string(got) != exp {
					t.Errorf("%s, Rpc-Type %q: got %q %v, want %s", name, hv, got, err, exp)
				}
				if b, err := svc.route(h); err != nil || b == nil {
					t.Errorf("%s, Rpc-Type %q: route gave %v %v", name, hv, b, err)
				}
			}
		}
	}
}
