package cache

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	apptypes "github.com/pokt-network/poktroll/x/application/types"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"

	"github.com/shannon-ops/pocket-relay-miner/query"
)

// Querier is the part of query.Client the Chain loads from. The at-height queries also return
// the committed height of the node state that answered, which decides whether the answer is
// final (final.go).
type Querier interface {
	Session(ctx context.Context, app, service string, height int64) (*sessiontypes.Session, error)
	SharedParamsAtHeight(ctx context.Context, height int64) (*sharedtypes.Params, int64, error)
	Application(ctx context.Context, address string) (*apptypes.Application, error)
	Supplier(ctx context.Context, operator string) (*sharedtypes.Supplier, error)
	ComputeUnitsPerRelayAtHeight(ctx context.Context, service string, height int64) (uint64, int64, error)
	RelayMiningDifficultyAtHeight(ctx context.Context, service string, height int64) (*servicetypes.RelayMiningDifficulty, int64, error)
	Account(ctx context.Context, address string) (query.Account, error)
}

// ChainOptions tune the typed caches. Zero fields keep the defaults of Options.
type ChainOptions struct {
	FixedL1TTL, FixedL2TTL time.Duration // sessions, params, CUPR, difficulty, public keys
	LiveL1TTL, LiveL2TTL   time.Duration // applications, suppliers
	MaxEntries             int           // per kind
	LockTTL                time.Duration
	LiveKeyIdle            time.Duration
}

// Chain is the cached view of the chain the relayer and the miner use. Values are shared
// between callers and must not be modified.
type Chain struct {
	sessions   *Cache[sessionKey, *sessiontypes.Session]
	params     *Cache[int64, *sharedtypes.Params]
	apps       *Cache[string, *apptypes.Application]
	suppliers  *Cache[string, *sharedtypes.Supplier]
	cupr       *Cache[serviceHeight, uint64]
	difficulty *Cache[serviceHeight, *servicetypes.RelayMiningDifficulty]
	pubkeys    *Cache[string, *secp256k1.PubKey]
}

type sessionKey struct {
	app, service string
	start        int64
}

type serviceHeight struct {
	service string
	height  int64
}

// NewChain builds the typed caches on hub over q. It does no I/O.
func NewChain(hub *Hub, q Querier, o ChainOptions) (*Chain, error) {
	f1, f2 := o.FixedL1TTL, o.FixedL2TTL
	var errs []error
	c := &Chain{}
	var err error
	c.sessions, err = New(hub, Options[sessionKey, *sessiontypes.Session]{
		Kind: KindSession, Codec: ProtoCodec[sessiontypes.Session](),
		KeyString: func(k sessionKey) string { return k.app + "/" + k.service + "/" + itoa(k.start) },
		Load: func(ctx context.Context, k sessionKey) (*sessiontypes.Session, error) {
			return q.Session(ctx, k.app, k.service, k.start)
		},
		Validate: validateSession,
		L1TTL:    f1, L2TTL: f2, MaxEntries: o.MaxEntries, LockTTL: o.LockTTL,
	})
	errs = append(errs, err)
	c.params, err = New(hub, Options[int64, *sharedtypes.Params]{
		Kind: KindSharedParams, Codec: ProtoCodec[sharedtypes.Params](),
		KeyString: itoa,
		ParseKey:  func(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) },
		LoadFinal: func(ctx context.Context, h int64) (*sharedtypes.Params, bool, error) {
			p, state, err := q.SharedParamsAtHeight(ctx, h)
			if err != nil {
				return nil, false, err
			}
			return p, sharedParamsFinal(p, h, state), nil
		},
		Validate: func(p *sharedtypes.Params) error { return p.ValidateBasic() },
		L1TTL:    f1, L2TTL: f2, MaxEntries: o.MaxEntries, LockTTL: o.LockTTL,
	})
	errs = append(errs, err)
	c.apps, err = New(hub, Options[string, *apptypes.Application]{
		Kind: KindApplication, Codec: ProtoCodec[apptypes.Application](), Live: true,
		Load:     q.Application,
		Validate: validateApplication,
		L1TTL:    o.LiveL1TTL, L2TTL: o.LiveL2TTL, MaxEntries: o.MaxEntries, LockTTL: o.LockTTL, LiveKeyIdle: o.LiveKeyIdle,
	})
	errs = append(errs, err)
	c.suppliers, err = New(hub, Options[string, *sharedtypes.Supplier]{
		Kind: KindSupplier, Codec: ProtoCodec[sharedtypes.Supplier](), Live: true,
		Load:     q.Supplier,
		Validate: validateSupplier,
		L1TTL:    o.LiveL1TTL, L2TTL: o.LiveL2TTL, MaxEntries: o.MaxEntries, LockTTL: o.LockTTL, LiveKeyIdle: o.LiveKeyIdle,
	})
	errs = append(errs, err)
	c.cupr, err = New(hub, Options[serviceHeight, uint64]{
		Kind: KindServiceCUPR, Codec: Uint64Codec(),
		KeyString: serviceHeightString,
		ParseKey:  parseServiceHeight,
		LoadFinal: func(ctx context.Context, k serviceHeight) (uint64, bool, error) {
			v, state, err := q.ComputeUnitsPerRelayAtHeight(ctx, k.service, k.height)
			return v, atHeightFinal(k.height, state), err
		},
		Validate: func(v uint64) error {
			if v == 0 {
				return errors.New("zero compute units per relay")
			}
			return nil
		},
		L1TTL: f1, L2TTL: f2, MaxEntries: o.MaxEntries, LockTTL: o.LockTTL,
	})
	errs = append(errs, err)
	c.difficulty, err = New(hub, Options[serviceHeight, *servicetypes.RelayMiningDifficulty]{
		Kind: KindDifficulty, Codec: ProtoCodec[servicetypes.RelayMiningDifficulty](),
		KeyString: serviceHeightString,
		ParseKey:  parseServiceHeight,
		LoadFinal: func(ctx context.Context, k serviceHeight) (*servicetypes.RelayMiningDifficulty, bool, error) {
			d, state, err := q.RelayMiningDifficultyAtHeight(ctx, k.service, k.height)
			return d, atHeightFinal(k.height, state), err
		},
		Validate: func(d *servicetypes.RelayMiningDifficulty) error {
			if len(d.TargetHash) == 0 {
				return errors.New("empty target hash")
			}
			return nil
		},
		L1TTL: f1, L2TTL: f2, MaxEntries: o.MaxEntries, LockTTL: o.LockTTL,
	})
	errs = append(errs, err)
	c.pubkeys, err = New(hub, Options[string, *secp256k1.PubKey]{
		Kind: KindAccount, Codec: ProtoCodec[secp256k1.PubKey](),
		Load: func(ctx context.Context, addr string) (*secp256k1.PubKey, error) {
			acc, err := q.Account(ctx, addr)
			if err != nil {
				return nil, err
			}
			if acc.PubKey == nil {
				return nil, fmt.Errorf("account %s: %w", addr, ErrNoPubKey)
			}
			pk, ok := acc.PubKey.(*secp256k1.PubKey)
			if !ok {
				return nil, fmt.Errorf("account %s: %w: key type %T", addr, ErrInvalidValue, acc.PubKey)
			}
			return pk, nil
		},
		Validate: func(pk *secp256k1.PubKey) error {
			if len(pk.Key) != secp256k1.PubKeySize {
				return fmt.Errorf("public key of %d bytes", len(pk.Key))
			}
			return nil
		},
		L1TTL: f1, L2TTL: f2, MaxEntries: o.MaxEntries, LockTTL: o.LockTTL,
	})
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// ErrNoPubKey: the account exists but has never signed, so the chain has no public key for it.
var ErrNoPubKey = errors.New("account has no public key on chain")

// Session returns the session of (app, service) containing height. It is cached by (app,
// service, session start height), the start computed from the shared params at height, and
// loaded at the start height, so every height of a session shares one entry.
func (c *Chain) Session(ctx context.Context, app, service string, height int64) (*sessiontypes.Session, error) {
	p, err := c.SharedParamsAt(ctx, height)
	if err != nil {
		return nil, err
	}
	start := sharedtypes.GetSessionStartHeight(p, height)
	return c.sessions.Get(ctx, sessionKey{app: app, service: service, start: start})
}

// SharedParamsAt returns the shared params in effect at height (ask at the session end
// height for windows, at the start height for pricing). An answer for a height of a session
// that has not started is served but not cached: a governance change executed before that
// session starts still changes it.
func (c *Chain) SharedParamsAt(ctx context.Context, height int64) (*sharedtypes.Params, error) {
	return c.params.Get(ctx, height)
}

// Application returns the application at address (live: refreshed by the leader).
func (c *Chain) Application(ctx context.Context, address string) (*apptypes.Application, error) {
	return c.apps.Get(ctx, address)
}

// Supplier returns the supplier with operator address operator (live).
func (c *Chain) Supplier(ctx context.Context, operator string) (*sharedtypes.Supplier, error) {
	return c.suppliers.Get(ctx, operator)
}

// CUPRAt returns the compute units per relay of service at height (the session start).
func (c *Chain) CUPRAt(ctx context.Context, service string, height int64) (uint64, error) {
	return c.cupr.Get(ctx, serviceHeight{service: service, height: height})
}

// DifficultyAt returns the relay mining difficulty of service at height (the session start).
func (c *Chain) DifficultyAt(ctx context.Context, service string, height int64) (*servicetypes.RelayMiningDifficulty, error) {
	return c.difficulty.Get(ctx, serviceHeight{service: service, height: height})
}

// AccountPubKey returns the secp256k1 public key of the account at address. An account that
// never signed has none: ErrNoPubKey, not cached.
func (c *Chain) AccountPubKey(ctx context.Context, address string) (cryptotypes.PubKey, error) {
	return c.pubkeys.Get(ctx, address)
}

// Live returns the live caches, for NewRefresher.
func (c *Chain) Live() []Refreshable { return []Refreshable{c.apps, c.suppliers} }

func serviceHeightString(k serviceHeight) string { return k.service + "/" + itoa(k.height) }

// parseServiceHeight inverts serviceHeightString.
func parseServiceHeight(s string) (serviceHeight, error) {
	i := strings.LastIndexByte(s, '/')
	if i < 0 {
		return serviceHeight{}, fmt.Errorf("no '/' in %q", s)
	}
	h, err := strconv.ParseInt(s[i+1:], 10, 64)
	return serviceHeight{service: s[:i], height: h}, err
}

func validateSession(s *sessiontypes.Session) error {
	switch {
	case s.Header == nil || s.Header.SessionId == "":
		return errors.New("session without header")
	case s.Application == nil:
		return errors.New("session without application")
	case len(s.Suppliers) == 0:
		return errors.New("session without suppliers")
	}
	return nil
}

func validateApplication(a *apptypes.Application) error {
	switch {
	case a.Address == "":
		return errors.New("application without address")
	case a.Stake == nil || a.Stake.IsZero():
		return errors.New("application without stake")
	case len(a.ServiceConfigs) == 0:
		return errors.New("application without service configs")
	}
	return nil
}

func validateSupplier(s *sharedtypes.Supplier) error {
	switch {
	case s.OperatorAddress == "":
		return errors.New("supplier without operator address")
	case len(s.Services) == 0:
		return errors.New("supplier without services")
	}
	return nil
}
