package relayer

import (
	"context"

	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	apptypes "github.com/pokt-network/poktroll/x/application/types"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	sdktypes "github.com/pokt-network/shannon-sdk/types"

	"github.com/shannon-ops/pocket-relay-miner/keys"
	"github.com/shannon-ops/pocket-relay-miner/query"
	"github.com/shannon-ops/pocket-relay-miner/relayer/meter"
	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// Chain is what the relayer reads from the chain. *cache.Chain implements it: every call is
// served from the L1/L2 cache after the first, so a relay on a warm session costs no chain
// query. Returned values are shared and must not be modified.
type Chain interface {
	// Session returns the session of (app, service) containing height.
	Session(ctx context.Context, app, service string, height int64) (*sessiontypes.Session, error)
	// SharedParamsAt returns the shared params in effect at height.
	SharedParamsAt(ctx context.Context, height int64) (*sharedtypes.Params, error)
	// Application returns the live application (delegations, pending undelegations).
	Application(ctx context.Context, address string) (*apptypes.Application, error)
	// ReloadApplication loads the application from the chain now, past every cache, and
	// updates the caches. The validator calls it, rate-limited, when a ring signature fails
	// against a ring built from an application that may predate a delegation.
	ReloadApplication(ctx context.Context, address string) (*apptypes.Application, error)
	// AccountPubKey returns the account's public key (ring members).
	AccountPubKey(ctx context.Context, address string) (cryptotypes.PubKey, error)
	// CUPRAt returns the compute units per relay of service at height (the session start).
	CUPRAt(ctx context.Context, service string, height int64) (uint64, error)
	// DifficultyAt returns the relay mining difficulty of service at height (the session start).
	DifficultyAt(ctx context.Context, service string, height int64) (*servicetypes.RelayMiningDifficulty, error)
}

// BlockStream delivers new blocks, the newest first when the reader falls behind;
// *blocks.Subscription implements it.
type BlockStream interface {
	Next(ctx context.Context) (query.Block, error)
	Close()
}

// Heights reports the latest committed block height the process has seen; 0 while unknown.
type Heights interface {
	Height() int64
}

// Signer signs with one supplier operator key: Cosmos secp256k1 (ECDSA over sha256(msg),
// 64 bytes, low S).
type Signer interface {
	Sign(msg []byte) ([]byte, error)
}

// KeyStore finds the signer of an operator address.
type KeyStore interface {
	Signer(operator string) (Signer, bool)
}

// Backend sends one HTTP relay payload to a service's upstream and returns the answer as a
// serialized POKTHTTPResponse (deterministic protobuf: it is hashed and signed as the relay
// payload) with the backend's status code. A nil error means the backend answered, whatever
// its status. An error that has a Timeout() bool method returning true is a timeout.
type Backend interface {
	Relay(ctx context.Context, req *sdktypes.POKTHTTPRequest, rc *RelayContext) (payload []byte, status int, err error)
	// Healthy reports whether at least one endpoint is usable (for readiness).
	Healthy() bool
}

// RelayContext is what the backend may tell the upstream about the relay (the Pocket-*
// headers).
type RelayContext struct {
	Supplier, Service, Application, SessionID string
	SessionStartHeight, SessionEndHeight      int64
}

// Meter is the relay meter (PROTOCOL §4.4). Consume charges one relay of the session to the
// supplier's budget; the decision says whether to serve (allowed, fail_open, skipped) or refuse
// (over_serviced, fail_closed), and Refundable whether Refund is due if the relay is not mined.
// The error, if any, is for the log. *StakeMeter implements it over relayer/meter.
type Meter interface {
	Consume(ctx context.Context, supplier string, h *sessiontypes.SessionHeader) (meter.Decision, error)
	Refund(ctx context.Context, supplier string, h *sessiontypes.SessionHeader) error
}

// Publisher hands a mined relay to the miner (the supplier's Redis stream). Enqueue must not
// block on Redis: it queues into a bounded backlog and reports false when the relay was
// dropped (the publisher counts the drop with its reason). *publish.Backlog implements it.
type Publisher interface {
	Enqueue(m transport.Message) bool
}

// Keys adapts a *keys.Manager to KeyStore.
func Keys(m *keys.Manager) KeyStore { return managerKeys{m} }

type managerKeys struct{ m *keys.Manager }

func (k managerKeys) Signer(operator string) (Signer, bool) {
	s, ok := k.m.Get(operator)
	if !ok {
		return nil, false
	}
	return s, true
}

// NoMeter meters nothing: every relay is allowed (meter.enabled: false).
type NoMeter struct{}

// Consume always allows, unmetered.
func (NoMeter) Consume(context.Context, string, *sessiontypes.SessionHeader) (meter.Decision, error) {
	return meter.Decision{Outcome: meter.OutcomeSkipped}, nil
}

// Refund does nothing.
func (NoMeter) Refund(context.Context, string, *sessiontypes.SessionHeader) error { return nil }
