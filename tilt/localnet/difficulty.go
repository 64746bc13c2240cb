package localnet

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/url"
	"strconv"

	"github.com/pokt-network/poktroll/pkg/crypto/protocol"
)

// Difficulty is a service's relay mining difficulty at one height.
type Difficulty struct {
	ServiceID    string
	NumRelaysEma uint64
	// TargetHash is the hash a relay's hash must not exceed to be mined.
	TargetHash []byte
	// Multiplier is how many relays each mined relay is paid as (base / target); 1 at base.
	Multiplier *big.Rat
}

// AboveBase reports whether only a fraction of the relays is mined.
func (d Difficulty) AboveBase() bool { return d.Multiplier.Cmp(big.NewRat(1, 1)) > 0 }

// RelayMiningDifficultyAt asks the chain (REST) for the difficulty that applies to relays of a
// session starting at height: the one claims, proofs and settlement use (poktroll v0.1.35
// GetRelayMiningDifficultyAtHeight at the session start).
func (l *Localnet) RelayMiningDifficultyAt(ctx context.Context, service string, height int64) (Difficulty, error) {
	var r struct {
		D struct {
			ServiceID    string `json:"service_id"`
			NumRelaysEma string `json:"num_relays_ema"`
			TargetHash   string `json:"target_hash"`
		} `json:"relayMiningDifficulty"` // the response field's proto name, not snake_case
	}
	path := "/pokt-network/poktroll/service/relay_mining_difficulty/" + url.PathEscape(service) + "/at_height/" + strconv.FormatInt(height, 10)
	if err := l.getJSON(ctx, l.APIURL, path, nil, &r); err != nil {
		return Difficulty{}, fmt.Errorf("relay mining difficulty of %s at %d: %w", service, height, err)
	}
	hash, err := base64.StdEncoding.DecodeString(r.D.TargetHash)
	if err != nil || len(hash) == 0 {
		return Difficulty{}, fmt.Errorf("relay mining difficulty of %s at %d: target hash %q", service, height, r.D.TargetHash)
	}
	ema, _ := strconv.ParseUint(r.D.NumRelaysEma, 10, 64)
	return Difficulty{ServiceID: r.D.ServiceID, NumRelaysEma: ema, TargetHash: hash,
		Multiplier: protocol.GetRelayDifficultyMultiplier(hash)}, nil
}
