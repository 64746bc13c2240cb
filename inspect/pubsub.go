package inspect

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Channels that PubSub can watch.
const (
	ChannelBlocks          = "blocks"
	ChannelCacheInvalidate = "cache-invalidate"
)

// Message is one pub/sub message, decoded by channel.
type Message struct {
	Channel  string    `json:"channel"`
	Received time.Time `json:"received"`
	Payload  string    `json:"payload"`
	// blocks: "<height> <hash hex> <unix ns>" (cache/blocks).
	Height    int64     `json:"height,omitempty"`
	Hash      string    `json:"hash,omitempty"`
	BlockTime time.Time `json:"block_time,omitzero"`
	// cache-invalidate: "<origin>\n<kind>\n<key>" (cache.Hub).
	Origin string `json:"origin,omitempty"`
	Kind   string `json:"kind,omitempty"`
	Key    string `json:"key,omitempty"`
	// DecodeError is set when the payload is not in the channel's format.
	DecodeError string `json:"decode_error,omitempty"`
}

// PubSub subscribes to channel (ChannelBlocks or ChannelCacheInvalidate) and calls fn with
// each decoded message until ctx ends or count messages arrived (count ≤ 0: no limit). ready,
// if not nil, is called once the subscription is confirmed.
func (in *Inspector) PubSub(ctx context.Context, channel string, count int, ready func(), fn func(Message)) error {
	var name string
	switch channel {
	case ChannelBlocks:
		name = in.keys.BlocksChannel()
	case ChannelCacheInvalidate:
		name = in.keys.CacheInvalidateChannel()
	default:
		return usagef("channel %q: want %s or %s", channel, ChannelBlocks, ChannelCacheInvalidate)
	}
	ps := in.rdb.Subscribe(ctx, name)
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("subscribe %s: %w", name, err)
	}
	if ready != nil {
		ready()
	}
	ch := ps.Channel()
	for n := 0; count <= 0 || n < count; n++ {
		select {
		case <-ctx.Done():
			return nil
		case m, ok := <-ch:
			if !ok {
				return fmt.Errorf("subscription to %s closed", name)
			}
			fn(decodeMessage(channel, m.Payload))
		}
	}
	return nil
}

func decodeMessage(channel, payload string) Message {
	m := Message{Channel: channel, Received: time.Now().UTC(), Payload: payload}
	var err error
	if channel == ChannelBlocks {
		err = m.decodeBlock(payload)
	} else {
		var rest string
		var ok bool
		m.Origin, rest, ok = strings.Cut(payload, "\n")
		if ok {
			m.Kind, m.Key, ok = strings.Cut(rest, "\n")
		}
		if !ok {
			err = fmt.Errorf("want origin, kind and key on three lines")
		}
	}
	if err != nil {
		m.DecodeError = err.Error()
	}
	return m
}

func (m *Message) decodeBlock(s string) error {
	f := strings.Fields(s)
	if len(f) != 3 {
		return fmt.Errorf("want \"<height> <hash hex> <unix ns>\"")
	}
	h, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return fmt.Errorf("height: %w", err)
	}
	if _, err := hex.DecodeString(f[1]); err != nil {
		return fmt.Errorf("hash: %w", err)
	}
	ns, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return fmt.Errorf("time: %w", err)
	}
	m.Height, m.Hash, m.BlockTime = h, f[1], time.Unix(0, ns).UTC()
	return nil
}
