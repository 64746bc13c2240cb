package relayer

import (
	"fmt"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

// service is one configured service, resolved once at startup; read-only afterwards.
type service struct {
	id          string
	eager       bool
	maxBody     int64
	grpcMaxResp int64 // bound of a gRPC answer: the grpc backend's max_response_bytes
	backends    map[config.RPCType]Backend
	fallback    Backend // answers requests without an Rpc-Type header; nil when ambiguous
	serviceMetrics
}

// newService resolves the config of service id with its backends.
func newService(id string, sc *config.Service, cfg *config.Relayer, backends map[config.RPCType]Backend, m *metrics) (*service, error) {
	svc := &service{
		id:             id,
		eager:          validationMode(sc, cfg) == config.ValidationEager,
		maxBody:        int64(cfg.DefaultMaxBodyBytes),
		backends:       map[config.RPCType]Backend{},
		serviceMetrics: m.forService(id),
	}
	if sc.MaxBodyBytes > 0 {
		svc.maxBody = int64(sc.MaxBodyBytes)
	}
	svc.grpcMaxResp = int64(config.DefaultMaxResponseBytes)
	if bc := sc.Backends[config.RPCGRPC]; bc != nil && bc.MaxResponseBytes > 0 {
		svc.grpcMaxResp = int64(bc.MaxResponseBytes)
	}
	for t := range sc.Backends {
		b := backends[t]
		if b == nil {
			return nil, fmt.Errorf("service %s: no backend built for %s", id, t)
		}
		svc.backends[t] = b
	}
	if b, ok := svc.backends[config.RPCJSONRPC]; ok {
		svc.fallback = b
	} else if len(svc.backends) == 1 {
		for _, b := range svc.backends {
			svc.fallback = b
		}
	}
	return svc, nil
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
