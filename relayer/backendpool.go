package relayer

import (
	"context"

	sdktypes "github.com/pokt-network/shannon-sdk/types"

	"github.com/shannon-ops/pocket-relay-miner/relayer/backend"
)

// PoolBackend adapts a backend pool to Backend.
func PoolBackend(p *backend.Pool) Backend { return poolBackend{p} }

type poolBackend struct{ p *backend.Pool }

func (b poolBackend) Healthy() bool { return b.p.Healthy() }

// Relay serializes the pool's answer straight into the payload (one copy of the body).
func (b poolBackend) Relay(ctx context.Context, req *sdktypes.POKTHTTPRequest, rc *RelayContext) ([]byte, int, error) {
	res, err := b.p.Do(ctx, req, backend.Headers{
		Supplier: rc.Supplier, Service: rc.Service, Application: rc.Application, SessionID: rc.SessionID,
		SessionStartHeight: rc.SessionStartHeight, SessionEndHeight: rc.SessionEndHeight,
	})
	if err != nil {
		if backend.ReasonOf(err) == backend.ReasonTimeout {
			return nil, 0, backendTimeout{err}
		}
		return nil, 0, err
	}
	defer res.Release()
	payload := res.AppendPOKT(make([]byte, 0, res.POKTSize()))
	return payload, res.StatusCode, nil
}

type backendTimeout struct{ error }

func (e backendTimeout) Timeout() bool { return true }
func (e backendTimeout) Unwrap() error { return e.error }
