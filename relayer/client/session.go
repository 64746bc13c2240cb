package client

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	"github.com/pokt-network/poktroll/pkg/crypto/rings"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"

	"github.com/shannon-ops/pocket-relay-miner/relayer/ring"
)

// target is one supplier a relay can go to in the current session.
type target struct {
	supplier string
	url      string
	pubKey   cryptotypes.PubKey
}

// sessionState is everything a relay of one session needs; it is replaced, never mutated.
type sessionState struct {
	header  *sessiontypes.SessionHeader
	number  int64
	targets []target
	signer  *ring.Signer
	next    atomic.Uint64 // round-robin over targets
	// since is when the client switched to this session; prev the session before it, kept
	// for the relays refused just after the switch (Client.Do).
	since time.Time
	prev  atomic.Pointer[sessionState]
}

func (s *sessionState) pick() *target {
	if len(s.targets) == 1 {
		return &s.targets[0]
	}
	return &s.targets[(s.next.Add(1)-1)%uint64(len(s.targets))]
}

// SessionInfo describes a session the client has sent relays in.
type SessionInfo struct {
	SessionID   string   `json:"session_id"`
	StartHeight int64    `json:"start_height"`
	EndHeight   int64    `json:"end_height"`
	Suppliers   []string `json:"suppliers"`
	Endpoints   []string `json:"endpoints"`
}

func (s *sessionState) info() SessionInfo {
	in := SessionInfo{SessionID: s.header.SessionId, StartHeight: s.header.SessionStartBlockHeight,
		EndHeight: s.header.SessionEndBlockHeight}
	for _, t := range s.targets {
		in.Suppliers = append(in.Suppliers, t.supplier)
		in.Endpoints = append(in.Endpoints, t.url)
	}
	return in
}

// loadSession fetches the session of the configured app and service that contains height
// (0: the latest), resolves its targets and prepares the ring signer.
func (c *Client) loadSession(ctx context.Context, height int64) (*sessionState, error) {
	sess, err := c.cfg.Chain.Session(ctx, c.cfg.App, c.cfg.Service, height)
	if err != nil {
		return nil, fmt.Errorf("session of %s for %s at height %d: %w", c.cfg.App, c.cfg.Service, height, err)
	}
	st := &sessionState{header: sess.Header, number: sess.SessionNumber}
	for _, sup := range sess.Suppliers {
		if c.cfg.Supplier != "" && sup.OperatorAddress != c.cfg.Supplier {
			continue
		}
		t, err := c.target(ctx, sup)
		if err != nil {
			return nil, err
		}
		st.targets = append(st.targets, t)
	}
	if len(st.targets) == 0 {
		if c.cfg.Supplier != "" {
			return nil, fmt.Errorf("supplier %s is not in session %s (%d suppliers)", c.cfg.Supplier, sess.Header.SessionId, len(sess.Suppliers))
		}
		return nil, fmt.Errorf("session %s has no suppliers", sess.Header.SessionId)
	}
	if st.signer, err = c.ringSigner(ctx, sess.Header.SessionEndBlockHeight); err != nil {
		return nil, err
	}
	return st, nil
}

// target resolves the endpoint and the operator public key of a session supplier.
func (c *Client) target(ctx context.Context, sup *sharedtypes.Supplier) (target, error) {
	t := target{supplier: sup.OperatorAddress, url: c.cfg.Endpoint}
	if t.url == "" {
		t.url = stakedEndpoint(sup, c.cfg.Service, c.rpcType)
		if t.url == "" {
			return t, fmt.Errorf("supplier %s has no %s endpoint for %s: pass --endpoint", sup.OperatorAddress, c.rpcType, c.cfg.Service)
		}
	}
	pk, err := c.pubKey(ctx, sup.OperatorAddress)
	if err != nil {
		return t, err
	}
	t.pubKey = pk
	return t, nil
}

// stakedEndpoint is the URL the supplier staked for (service, rpc type) in the session's
// dehydrated supplier, or "".
func stakedEndpoint(sup *sharedtypes.Supplier, service string, rt sharedtypes.RPCType) string {
	for _, sc := range sup.Services {
		if sc.ServiceId != service {
			continue
		}
		for _, e := range sc.Endpoints {
			if e.RpcType == rt {
				return e.Url
			}
		}
	}
	return ""
}

// pubKey returns the account public key of addr, cached for the client's lifetime (account
// keys never change once set).
func (c *Client) pubKey(ctx context.Context, addr string) (cryptotypes.PubKey, error) {
	c.mu.Lock()
	pk, ok := c.pubKeys[addr]
	c.mu.Unlock()
	if ok {
		return pk, nil
	}
	acc, err := c.cfg.Chain.Account(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", addr, err)
	}
	if acc.PubKey == nil {
		return nil, fmt.Errorf("account %s has no public key on chain (it never signed a transaction)", addr)
	}
	c.mu.Lock()
	c.pubKeys[addr] = acc.PubKey
	c.mu.Unlock()
	return acc.PubKey, nil
}

// ringSigner builds the application's ring at the session end height (PROTOCOL §3.1) and a
// signer for the client's key in it.
func (c *Client) ringSigner(ctx context.Context, end int64) (*ring.Signer, error) {
	app, err := c.cfg.Chain.Application(ctx, c.cfg.App)
	if err != nil {
		return nil, fmt.Errorf("application %s: %w", c.cfg.App, err)
	}
	view := *app // the helper appends to the delegatee slice: hand it a clipped copy
	view.DelegateeGatewayAddresses = slices.Clip(app.DelegateeGatewayAddresses)
	gateways := rings.GetRingAddressesAtSessionEndHeight(&view, uint64(end))
	keys := make([][]byte, 0, len(gateways)+2)
	if len(gateways) == 0 {
		keys = append(keys, rings.PlaceholderRingPubKey.Bytes())
	}
	for _, a := range append([]string{c.cfg.App}, gateways...) {
		pk, err := c.pubKey(ctx, a)
		if err != nil {
			return nil, fmt.Errorf("ring of %s: %w", c.cfg.App, err)
		}
		keys = append(keys, pk.Bytes())
	}
	r, err := c.verifier.PrepareRing(keys)
	if err != nil {
		return nil, fmt.Errorf("ring of %s: %w", c.cfg.App, err)
	}
	s, err := ring.NewSigner(r, c.cfg.Key.priv.Key)
	if err != nil {
		return nil, fmt.Errorf("key %s is neither application %s nor a gateway it delegates to (ring of %d): %w",
			c.cfg.Key.Address(), c.cfg.App, r.Size(), err)
	}
	return s, nil
}
