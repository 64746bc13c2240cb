package leader

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// FencePreamble is the Lua that refuses a write from a stale holder. A script that starts with
// it must take the lease key as KEYS[1] and Fence.Value as ARGV[1]; its own keys and arguments
// follow from KEYS[2] and ARGV[2]. When the check fails the script stops with an error reply
// starting "LEASELOST", which FencedScript.Run and IsFenceError turn into ErrLeaseLost.
var FencePreamble = fenceLua

// FencedScript is a Lua script whose writes happen only while a Fence is still current, in the
// same atomic step as the check. On Redis Cluster every key it touches must share the lease's
// hash slot: per-supplier leases carry the supplier's {operator} tag, so the supplier's own
// keys qualify.
type FencedScript struct {
	s *redis.Script
}

// NewFencedScript prefixes body with FencePreamble. In body, the caller's keys start at KEYS[2]
// and its arguments at ARGV[2].
func NewFencedScript(body string) *FencedScript {
	return &FencedScript{s: redis.NewScript(FencePreamble + "\n" + body)}
}

// Run executes the script for the holding f. It returns ErrLeaseLost (wrapped) when f is stale;
// nothing was written then.
func (fs *FencedScript) Run(ctx context.Context, c redis.Scripter, f Fence, keys []string, args ...any) (any, error) {
	k := make([]string, 0, len(keys)+1)
	k = append(append(k, f.Key), keys...)
	a := make([]any, 0, len(args)+1)
	a = append(append(a, f.Value), args...)
	v, err := fs.s.Run(ctx, c, k, a...).Result()
	if err != nil {
		if IsFenceError(err) {
			return nil, fmt.Errorf("fenced write under %s (token %d): %w", f.Key, f.Token, ErrLeaseLost)
		}
		return nil, fmt.Errorf("fenced write under %s: %w", f.Key, err)
	}
	return v, nil
}

// IsFenceError reports whether err is the error reply of FencePreamble, for callers that embed
// the preamble in scripts of their own.
func IsFenceError(err error) bool {
	return redis.HasErrorPrefix(err, "LEASELOST")
}

// Check reads the lease and returns ErrLeaseLost unless f still holds it. It is advisory: the
// lease can be lost right after. Writes must use FencedScript or Tx.
func (f Fence) Check(ctx context.Context, c redis.Cmdable) error {
	v, err := c.Get(ctx, f.Key).Result()
	if errors.Is(err, redis.Nil) {
		return fmt.Errorf("check fence %s: %w", f.Key, ErrLeaseLost)
	}
	if err != nil {
		return fmt.Errorf("check fence %s: %w", f.Key, err)
	}
	if v != f.Value {
		return fmt.Errorf("check fence %s: %w", f.Key, ErrLeaseLost)
	}
	return nil
}

// txAttempts bounds Tx's retries when a renewal of the lease (which touches the watched key)
// aborts the transaction.
const txAttempts = 5

// Tx runs fn's commands in one MULTI/EXEC that executes only if f still holds the lease: it
// WATCHes the lease key (and watch, for read-modify-write callers), checks the value, then
// queues fn's commands. A renewal touches the lease key and aborts the EXEC, so Tx re-checks and
// retries a few times. On Cluster, every key (lease, watch and fn's) must share one slot.
func (f Fence) Tx(ctx context.Context, c redis.UniversalClient, fn func(p redis.Pipeliner) error, watch ...string) error {
	keys := append([]string{f.Key}, watch...)
	for range txAttempts {
		err := c.Watch(ctx, func(tx *redis.Tx) error {
			if err := f.Check(ctx, tx); err != nil {
				return err
			}
			_, err := tx.TxPipelined(ctx, fn)
			return err
		}, keys...)
		if !errors.Is(err, redis.TxFailedErr) {
			if err != nil && !errors.Is(err, ErrLeaseLost) {
				return fmt.Errorf("fenced transaction under %s: %w", f.Key, err)
			}
			return err
		}
	}
	return fmt.Errorf("fenced transaction under %s: watched keys kept changing: %w", f.Key, redis.TxFailedErr)
}
