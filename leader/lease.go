package leader

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// counterSuffix must match transport.Keys.FencingCounter, which appends it to the lease key so
// that a hash-tagged lease and its counter share one Cluster slot.
const counterSuffix = ":fence"

// Fence is one holding of a lease: the lease key, the value this holding wrote into it, and the
// fencing token it was handed. A writer proves it still holds the lease by checking, in the same
// atomic step as its write, that the key still carries Value (see FencedScript and Fence.Tx).
// Tokens of successive holdings of one key strictly increase.
type Fence struct {
	// Key is the lease key.
	Key string
	// Value is "<holder>#<token>", what this holding stored under Key.
	Value string
	// Token is the fencing token of this holding, > 0.
	Token int64
}

func newFence(key, holder string, token int64) Fence {
	return Fence{Key: key, Value: holder + "#" + strconv.FormatInt(token, 10), Token: token}
}

// counterKey is the fencing counter of a lease key.
func counterKey(leaseKey string) string { return leaseKey + counterSuffix }

// TryAcquire takes the lease key for holder for ttl if nobody holds it: one Lua script does
// EXISTS, INCR of the fencing counter and SET NX PX, so a token is spent only on a successful
// acquisition and tokens grow in acquisition order. It returns ErrLeaseHeld when the lease is
// taken. On Redis Cluster key and its counter must share a slot (a hash-tagged key does).
//
// Election and Ownership call this for you; it is exported for tools and tests.
func TryAcquire(ctx context.Context, c redis.Scripter, key, holder string, ttl time.Duration) (Fence, error) {
	tok, err := acquireScript.Run(ctx, c, []string{key, counterKey(key)}, holder, ttl.Milliseconds()).Int64()
	if err != nil {
		return Fence{}, fmt.Errorf("acquire lease %s: %w", key, err)
	}
	if tok == 0 {
		return Fence{}, fmt.Errorf("acquire lease %s: %w", key, ErrLeaseHeld)
	}
	return newFence(key, holder, tok), nil
}

// Renew extends the holding f to ttl from now, or returns ErrLeaseLost if f no longer holds it.
func Renew(ctx context.Context, c redis.Scripter, f Fence, ttl time.Duration) error {
	res, err := renewScript.Run(ctx, c, []string{f.Key}, ttl.Milliseconds(), f.Value).Int64Slice()
	if err != nil {
		return fmt.Errorf("renew lease %s: %w", f.Key, err)
	}
	if len(res) != 1 || res[0] != 1 {
		return fmt.Errorf("renew lease %s: %w", f.Key, ErrLeaseLost)
	}
	return nil
}

// Release deletes the lease if f still holds it, or returns ErrLeaseLost.
func Release(ctx context.Context, c redis.Scripter, f Fence) error {
	res, err := releaseScript.Run(ctx, c, []string{f.Key}, f.Value).Int64Slice()
	if err != nil {
		return fmt.Errorf("release lease %s: %w", f.Key, err)
	}
	if len(res) != 1 || res[0] != 1 {
		return fmt.Errorf("release lease %s: %w", f.Key, ErrLeaseLost)
	}
	return nil
}
