package query

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	cryptocodec "github.com/cosmos/cosmos-sdk/crypto/codec"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	apptypes "github.com/pokt-network/poktroll/x/application/types"
	prooftypes "github.com/pokt-network/poktroll/x/proof/types"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	suppliertypes "github.com/pokt-network/poktroll/x/supplier/types"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Client is the typed view of one full node. It is safe for concurrent use.
type Client struct {
	call caller

	conn        *grpc.ClientConn // nil without Config.GRPCAddr
	session     sessiontypes.QueryClient
	shared      sharedtypes.QueryClient
	application apptypes.QueryClient
	supplier    suppliertypes.QueryClient
	service     servicetypes.QueryClient
	proof       prooftypes.QueryClient
	auth        authtypes.QueryClient
	bank        banktypes.QueryClient
	registry    codectypes.InterfaceRegistry

	comet *comet // nil without Config.CometRPCURL
}

// errNoGRPC and errNoComet are returned by methods whose endpoint is not configured.
var (
	errNoGRPC  = errors.New("no grpc address configured")
	errNoComet = errors.New("no comet rpc url configured")
)

// New validates cfg and builds the clients. It does no I/O: the gRPC connection is made on
// the first call. reg receives the package's metrics (nil registers nothing).
func New(cfg Config, reg prometheus.Registerer) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Client{call: caller{cfg: cfg, m: newMetrics(reg)}, registry: newInterfaceRegistry()}
	if cfg.GRPCAddr != "" {
		creds := insecure.NewCredentials()
		if !cfg.Insecure {
			creds = credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
		}
		conn, err := grpc.NewClient(cfg.GRPCAddr,
			grpc.WithTransportCredentials(creds),
			grpc.WithDefaultCallOptions(grpc.ForceCodec(gogoCodec{})),
		)
		if err != nil {
			return nil, fmt.Errorf("query: grpc client for %s: %w", cfg.GRPCAddr, err)
		}
		c.conn = conn
		c.session = sessiontypes.NewQueryClient(conn)
		c.shared = sharedtypes.NewQueryClient(conn)
		c.application = apptypes.NewQueryClient(conn)
		c.supplier = suppliertypes.NewQueryClient(conn)
		c.service = servicetypes.NewQueryClient(conn)
		c.proof = prooftypes.NewQueryClient(conn)
		c.auth = authtypes.NewQueryClient(conn)
		c.bank = banktypes.NewQueryClient(conn)
	}
	if cfg.CometRPCURL != "" {
		c.comet = &comet{base: cfg.CometRPCURL, http: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}}
	}
	return c, nil
}

// Close releases the gRPC connection and idle RPC connections.
func (c *Client) Close() error {
	if c.comet != nil {
		c.comet.http.CloseIdleConnections()
	}
	if c.conn != nil {
		return c.conn.Close()
	}
	return nil
}

// newInterfaceRegistry knows the account and public key types an auth Account answer packs
// into its Any.
func newInterfaceRegistry() codectypes.InterfaceRegistry {
	r := codectypes.NewInterfaceRegistry()
	authtypes.RegisterInterfaces(r)
	cryptocodec.RegisterInterfaces(r)
	return r
}
