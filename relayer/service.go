package relayer

import (
	"fmt"
	"net/http"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

// service is one configured service, resolved once at startup; read-only afterwards.
type service struct {
	id          string
	eager       bool
	maxBody     int64
	grpcMaxResp int64 // bound of a gRPC answer: the grpc backend's max_response_bytes
	backends    map[config.RPCType]Backend
	fallback    Backend // the default backend (resolve); nil when there is none
	// strictRPCType refuses an Rpc-Type with no backend here instead of falling back.
	strictRPCType bool
	// maxResp is each backend's max_response_bytes, the bound of one answer whatever carries
	// it (HTTP body, WebSocket message, streamed or gRPC body); fallbackType is fallback's type.
	maxResp      map[config.RPCType]int64
	fallbackType config.RPCType
	serviceMetrics
}

// newService resolves the config of service id with its backends.
func newService(id string, sc *config.Service, cfg *config.Relayer, backends map[config.RPCType]Backend, m *metrics) (*service, error) {
	svc := &service{
		id:             id,
		eager:          validationMode(sc, cfg) == config.ValidationEager,
		maxBody:        int64(cfg.DefaultMaxBodyBytes),
		backends:       map[config.RPCType]Backend{},
		maxResp:        map[config.RPCType]int64{},
		serviceMetrics: m.forService(id),
	}
	if sc.MaxBodyBytes > 0 {
		svc.maxBody = int64(sc.MaxBodyBytes)
	}
	for t, bc := range sc.Backends {
		b := backends[t]
		if b == nil {
			return nil, fmt.Errorf("service %s: no backend built for %s", id, t)
		}
		svc.backends[t] = b
		if bc != nil && bc.MaxResponseBytes > 0 {
			svc.maxResp[t] = int64(bc.MaxResponseBytes)
		}
	}
	svc.grpcMaxResp = svc.maxResponse(config.RPCGRPC)
	svc.strictRPCType = sc.StrictRPCType
	if t, ok := sc.DefaultRPCType(); ok {
		svc.fallback, svc.fallbackType = svc.backends[t], t
	}
	return svc, nil
}

// maxResponse is the max_response_bytes of the service's backend of rpc type t (the default
// for a config not built by config.LoadRelayer, which fills it in).
func (svc *service) maxResponse(t config.RPCType) int64 {
	if n := svc.maxResp[t]; n > 0 {
		return n
	}
	return int64(config.DefaultMaxResponseBytes)
}

// routedType is the rpc type of the backend route picks for a request with header h ("" when
// route refuses it).
func (svc *service) routedType(h http.Header) config.RPCType {
	t, _ := svc.resolve(h)
	return t
}

func validationMode(sc *config.Service, cfg *config.Relayer) config.ValidationMode {
	if sc.ValidationMode != "" {
		return sc.ValidationMode
	}
	if cfg.DefaultValidationMode != "" {
		return cfg.DefaultValidationMode
	}
	return config.ValidationEager
}

// healthy reports whether at least one backend of the service is usable.
func (svc *service) healthy() bool {
	for _, b := range svc.backends {
		if b.Healthy() {
			return true
		}
	}
	return false
}
