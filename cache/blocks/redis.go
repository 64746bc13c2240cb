package blocks

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// encode renders b for the blocks channel: "<height> <hash hex> <unix nanoseconds>".
func encode(b Block) string {
	return strconv.FormatInt(b.Height, 10) + " " + hex.EncodeToString(b.Hash) + " " + strconv.FormatInt(b.Time.UnixNano(), 10)
}

// decode parses encode's output.
func decode(s string) (Block, error) {
	f := strings.Fields(s)
	if len(f) != 3 {
		return Block{}, fmt.Errorf("block message %q: want 3 fields", s)
	}
	h, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || h <= 0 {
		return Block{}, fmt.Errorf("block message %q: bad height", s)
	}
	hash, err := hex.DecodeString(f[1])
	if err != nil || len(hash) == 0 {
		return Block{}, fmt.Errorf("block message %q: bad hash", s)
	}
	ns, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return Block{}, fmt.Errorf("block message %q: bad time", s)
	}
	return Block{Height: h, Hash: hash, Time: time.Unix(0, ns).UTC()}, nil
}

// publishLoop publishes every delivered block on the blocks channel. It reads an every-height
// subscription, so a slow Redis drops old blocks (the followers fill gaps), never the feed.
func (f *Feed) publishLoop(ctx context.Context, sub *Subscription) {
	defer sub.Close()
	ch := f.keys.BlocksChannel()
	for {
		b, err := sub.Next(ctx)
		if err != nil {
			return
		}
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_ = f.rdb.Publish(pctx, ch, encode(b)).Err() // followers fall back to the node if Redis is down
		cancel()
	}
}

// redisLoop offers the blocks the miners publish. go-redis re-subscribes after a connection
// loss by itself.
func (f *Feed) redisLoop(ctx context.Context) {
	ps := f.rdb.Subscribe(ctx, f.keys.BlocksChannel())
	defer ps.Close()
	ch := ps.Channel()
	for {
		select {
		case <-ctx.Done():
			return
		case msg, ok := <-ch:
			if !ok {
				return
			}
			if b, err := decode(msg.Payload); err == nil {
				f.offer(b, srcRedis)
			}
		}
	}
}

// fallbackLoop (Follow) runs the node sources while Redis is silent.
func (f *Feed) fallbackLoop(ctx context.Context) {
	f.mu.Lock()
	f.redisAt = time.Now() // give Redis its full silence budget from the start
	f.mu.Unlock()
	t := time.NewTicker(max(f.cfg.RedisSilence/4, 10*time.Millisecond))
	defer t.Stop()
	var stopOwn func() // set while the node sources run
	defer func() {
		if stopOwn != nil {
			stopOwn()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		f.mu.Lock()
		silent := time.Since(f.redisAt) > f.cfg.RedisSilence
		f.mu.Unlock()
		switch {
		case silent && stopOwn == nil:
			own, cancel := context.WithCancel(ctx)
			var wg sync.WaitGroup
			wg.Go(func() { f.websocketLoop(own) })
			wg.Go(func() { f.pollLoop(own) })
			stopOwn = func() { cancel(); wg.Wait() }
		case !silent && stopOwn != nil:
			stopOwn()
			stopOwn = nil
			f.m.reconnects.WithLabelValues(string(srcRedis)).Inc()
		}
	}
}
