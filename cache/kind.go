package cache

import "fmt"

// Kind names one family of cached values. It is part of every Redis key of the family and the
// kind label of every cache metric, so the set is closed: add a constant here for a new one.
type Kind string

// The kinds of cached chain data.
const (
	KindSession      Kind = "session"       // immutable: a session by (app, service, start height)
	KindSharedParams Kind = "shared_params" // immutable: shared params at a height
	KindApplication  Kind = "application"   // live: stake, delegations, service configs
	KindSupplier     Kind = "supplier"      // live: stake and services
	KindServiceCUPR  Kind = "service_cupr"  // immutable: compute units per relay at a height
	KindDifficulty   Kind = "difficulty"    // immutable: relay mining difficulty at a height
	KindRingKeys     Kind = "ring_keys"     // immutable: ring public keys of an app at a session end
	KindAccount      Kind = "account"       // immutable once set: an account's public key
)

var allKinds = []Kind{
	KindSession, KindSharedParams, KindApplication, KindSupplier,
	KindServiceCUPR, KindDifficulty, KindRingKeys, KindAccount,
}

func (k Kind) validate() error {
	for _, known := range allKinds {
		if k == known {
			return nil
		}
	}
	return fmt.Errorf("cache kind %q: not one of the declared kinds (cache/kind.go)", string(k))
}

// tier is the bounded tier label of the hits counter.
type tier string

const (
	tierL1      tier = "l1"       // fresh in-process value
	tierL1Stale tier = "l1_stale" // expired live value served while one caller refreshes it
	tierL2      tier = "l2"       // Redis
)
