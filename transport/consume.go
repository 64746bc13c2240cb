package transport

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// EnsureGroup creates ConsumerGroup on stream, reading from the stream's first entry, and creates
// the stream if it does not exist yet (XGROUP CREATE … MKSTREAM). It succeeds when the group
// already exists, so every miner may call it whenever it takes over a supplier.
func EnsureGroup(ctx context.Context, rdb redis.UniversalClient, stream string) error {
	err := rdb.XGroupCreateMkStream(ctx, stream, ConsumerGroup, "0").Err()
	if err == nil || isBusyGroup(err) {
		return nil
	}
	return fmt.Errorf("create consumer group %s on %s: %w", ConsumerGroup, stream, err)
}

func isBusyGroup(err error) bool {
	var rerr redis.Error
	return errors.As(err, &rerr) && strings.HasPrefix(rerr.Error(), "BUSYGROUP")
}

// DecodeEntry decodes the relay message of one stream entry, as returned by XREADGROUP,
// XAUTOCLAIM or XRANGE, and checks that its relay hash is sha256 of its relay bytes. Every
// failure wraps ErrMalformedMessage: the entry can never become valid, so the consumer should
// acknowledge it (counted) rather than retry it.
func DecodeEntry(e redis.XMessage) (Message, error) {
	v, ok := e.Values[MessageField]
	if !ok {
		return Message{}, fmt.Errorf("stream entry %s: %w: no field %q", e.ID, ErrMalformedMessage, MessageField)
	}
	s, ok := v.(string)
	if !ok {
		return Message{}, fmt.Errorf("stream entry %s: %w: field %q is %T, want string", e.ID, ErrMalformedMessage, MessageField, v)
	}
	m, err := DecodeString(s)
	if err != nil {
		return Message{}, fmt.Errorf("stream entry %s: %w", e.ID, err)
	}
	if err := m.VerifyHash(); err != nil {
		return Message{}, fmt.Errorf("stream entry %s: %w", e.ID, err)
	}
	return m, nil
}
