package cache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/redis/go-redis/v9"
)

// releaseScript deletes the lock only if it still holds our token, so a holder whose lock
// expired never deletes the lock of the process that took over.
var releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// lockToken returns a random token that identifies one lock holding.
func lockToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// tryLock takes key for ttl if nobody holds it (SET NX PX).
func tryLock(ctx context.Context, rdb redis.UniversalClient, key, token string, ttl time.Duration) (bool, error) {
	return rdb.SetNX(ctx, key, token, ttl).Result()
}

// unlock releases key if token still holds it. It runs on its own short deadline so a lock is
// released even when the fill's context has ended.
func unlock(ctx context.Context, rdb redis.UniversalClient, key, token string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	return releaseScript.Run(ctx, rdb, []string{key}, token).Err()
}

// wait blocks for d or until ctx ends.
func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
