package blocks

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/shannon-ops/pocket-relay-miner/query"
	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// Block is a committed block: height, CometBFT block hash, time.
type Block = query.Block

// ErrClosed is returned by Next on a closed subscription.
var ErrClosed = errors.New("block subscription closed")

// Fetcher reads blocks by height and the node status; query.Client implements it.
type Fetcher interface {
	BlockRange(ctx context.Context, from, to int64) ([]query.Block, error)
	Status(ctx context.Context) (query.Status, error)
}

// Mode says where a feed gets its blocks.
type Mode int

const (
	// Own: follow the node's websocket, poll it while the websocket is silent, and publish
	// every block on Redis. Every miner runs one.
	Own Mode = iota
	// Follow: read the blocks the miners publish on Redis; when Redis has been silent for
	// RedisSilence, follow the node directly (as Own, without publishing) until Redis speaks
	// again. Relayers run one.
	Follow
)

// Config of a Feed. Durations default from BlockTime.
type Config struct {
	Mode Mode
	// WebsocketURL is the node's CometBFT websocket, ws(s)://host:26657/websocket. Use
	// WebsocketURL(rpcURL) to derive it. Required.
	WebsocketURL string
	// BlockTime is the chain's expected block time. Default 30s (mainnet); 1s on a localnet.
	BlockTime time.Duration
	// StaleAfter: the websocket counts as down when it delivered nothing for this long, and
	// polling starts. Default 3 × BlockTime.
	StaleAfter time.Duration
	// PollInterval is the /status polling period while polling. Default BlockTime / 2.
	PollInterval time.Duration
	// RedisSilence (Follow) is how long Redis may stay silent before the feed follows the node
	// itself. Default 3 × BlockTime.
	RedisSilence time.Duration
	// ReconnectMin and ReconnectMax bound the jittered exponential backoff between websocket
	// connection attempts. Defaults 500ms and 30s.
	ReconnectMin, ReconnectMax time.Duration
	// MaxGap is the most missing heights the feed fetches to close one gap; beyond it the
	// oldest heights are skipped (counted). Default 1000.
	MaxGap int64
}

func (c *Config) defaults() error {
	if c.WebsocketURL == "" {
		return errors.New("blocks: websocket url is required")
	}
	if u, err := url.Parse(c.WebsocketURL); err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return fmt.Errorf("blocks: websocket url: want ws(s)://host:port/websocket, got %q", c.WebsocketURL)
	}
	if c.Mode != Own && c.Mode != Follow {
		return fmt.Errorf("blocks: unknown mode %d", c.Mode)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.BlockTime, 30*time.Second)
	def(&c.StaleAfter, 3*c.BlockTime)
	def(&c.PollInterval, max(c.BlockTime/2, 100*time.Millisecond))
	def(&c.RedisSilence, 3*c.BlockTime)
	def(&c.ReconnectMin, 500*time.Millisecond)
	def(&c.ReconnectMax, 30*time.Second)
	if c.MaxGap <= 0 {
		c.MaxGap = 1000
	}
	return nil
}

// WebsocketURL turns the RPC URL (http(s)://host:26657) into its websocket endpoint.
func WebsocketURL(rpcURL string) string {
	u := strings.TrimRight(rpcURL, "/")
	switch {
	case strings.HasPrefix(u, "https://"):
		u = "wss://" + strings.TrimPrefix(u, "https://")
	case strings.HasPrefix(u, "http://"):
		u = "ws://" + strings.TrimPrefix(u, "http://")
	}
	return u + "/websocket"
}

// Feed delivers every committed height once, in order, to its subscribers. See the package
// documentation for the sources and guarantees.
type Feed struct {
	cfg   Config
	fetch Fetcher
	rdb   redis.UniversalClient
	keys  transport.Keys
	m     *metrics

	mu      sync.Mutex
	offered Block // highest announced block not yet delivered
	last    Block // last delivered block
	subs    map[*Subscription]struct{}
	signal  chan struct{} // capacity 1: a new announcement
	wsAt    time.Time     // last websocket announcement
	redisAt time.Time     // last Redis announcement
}

// New builds a feed. It does no I/O. rdb may be nil for an Own feed that publishes nothing
// (tests); a Follow feed needs it.
func New(cfg Config, fetch Fetcher, rdb redis.UniversalClient, keys transport.Keys, reg prometheus.Registerer) (*Feed, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if cfg.Mode == Follow && rdb == nil {
		return nil, errors.New("blocks: a follow feed needs redis")
	}
	return &Feed{cfg: cfg, fetch: fetch, rdb: rdb, keys: keys, m: newMetrics(reg),
		subs: map[*Subscription]struct{}{}, signal: make(chan struct{}, 1)}, nil
}

// Subscribe adds a consumer. It may be called before or during Run.
func (f *Feed) Subscribe(o SubscribeOptions) *Subscription {
	if o.Queue <= 0 {
		o.Queue = DefaultQueue
	}
	s := &Subscription{feed: f, every: o.Every, size: o.Queue, signal: make(chan struct{}, 1)}
	f.mu.Lock()
	f.subs[s] = struct{}{}
	f.mu.Unlock()
	return s
}

func (f *Feed) unsubscribe(s *Subscription) {
	f.mu.Lock()
	delete(f.subs, s)
	f.mu.Unlock()
}

// Latest returns the last delivered block; false before the first one.
func (f *Feed) Latest() (Block, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last, f.last.Height > 0
}

// Run follows the chain until ctx ends and returns nil then. Every goroutine it starts has
// returned when it returns.
func (f *Feed) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if f.cfg.Mode == Own {
		if f.rdb != nil {
			pub := f.Subscribe(SubscribeOptions{Every: true, Queue: 256})
			wg.Go(func() { f.publishLoop(ctx, pub) })
		}
		wg.Go(func() { f.websocketLoop(ctx) })
		wg.Go(func() { f.pollLoop(ctx) })
	} else {
		wg.Go(func() { f.redisLoop(ctx) })
		wg.Go(func() { f.fallbackLoop(ctx) })
	}
	f.pollOnce(ctx) // a first height at once, whatever the sources do
	f.sequence(ctx)
	return nil
}

// offer records an announcement of b from src.
func (f *Feed) offer(b Block, src source) {
	f.m.received.WithLabelValues(string(src)).Inc()
	f.mu.Lock()
	now := time.Now()
	switch src {
	case srcWebsocket:
		f.wsAt = now
	case srcRedis:
		f.redisAt = now
	}
	if b.Height > f.offered.Height {
		f.offered = b
	}
	f.mu.Unlock()
	select {
	case f.signal <- struct{}{}:
	default:
	}
}

// sequence delivers heights last+1 … offered in order, fetching the ones nobody announced.
func (f *Feed) sequence(ctx context.Context) {
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.signal:
		}
		for ctx.Err() == nil {
			f.mu.Lock()
			target, last := f.offered, f.last.Height
			f.mu.Unlock()
			if target.Height <= last {
				break
			}
			if err := f.advance(ctx, last, target); err != nil {
				failures++
				_ = sleep(ctx, backoff(200*time.Millisecond, 5*time.Second, failures))
				continue
			}
			failures = 0
		}
	}
}

// advance delivers (last, target.Height]. The first block ever is delivered alone: the feed
// starts at the chain's head, not at genesis.
func (f *Feed) advance(ctx context.Context, last int64, target Block) error {
	if last == 0 && len(target.Hash) > 0 {
		f.deliver(target)
		return nil
	}
	from := last + 1
	if last == 0 {
		from = target.Height
	}
	if gap := target.Height - from; gap > f.cfg.MaxGap {
		f.m.skipped.Add(float64(gap - f.cfg.MaxGap))
		from = target.Height - f.cfg.MaxGap
	}
	for from < target.Height || (from == target.Height && len(target.Hash) == 0) {
		bs, err := f.fetch.BlockRange(ctx, from, target.Height)
		if err != nil {
			return fmt.Errorf("fetch blocks %d..%d: %w", from, target.Height, err)
		}
		for _, b := range bs {
			if b.Height != from {
				return fmt.Errorf("fetch blocks: got height %d, want %d", b.Height, from)
			}
			if b.Height != target.Height {
				f.m.gaps.Inc()
			}
			f.deliver(b)
			from++
		}
	}
	if from == target.Height {
		f.deliver(target)
	}
	return nil
}

// deliver hands b to every subscriber; nothing here blocks.
func (f *Feed) deliver(b Block) {
	f.mu.Lock()
	f.last = b
	subs := make([]*Subscription, 0, len(f.subs))
	for s := range f.subs {
		subs = append(subs, s)
	}
	f.mu.Unlock()
	f.m.height.Set(float64(b.Height))
	for _, s := range subs {
		if s.deliver(b) {
			mode := "latest"
			if s.every {
				mode = "every"
			}
			f.m.dropped.WithLabelValues(mode).Inc()
		}
	}
}

// pollLoop asks /status while the websocket is silent.
func (f *Feed) pollLoop(ctx context.Context) {
	t := time.NewTicker(f.cfg.PollInterval)
	defer t.Stop()
	polling := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		f.mu.Lock()
		silent := time.Since(f.wsAt) > f.cfg.StaleAfter
		f.mu.Unlock()
		if silent && !polling {
			f.m.reconnects.WithLabelValues(string(srcPoll)).Inc()
		}
		polling = silent
		if silent {
			f.pollOnce(ctx)
		}
	}
}

func (f *Feed) pollOnce(ctx context.Context) {
	st, err := f.fetch.Status(ctx)
	if err != nil || st.LatestHeight <= 0 {
		return
	}
	f.offer(Block{Height: st.LatestHeight, Hash: st.LatestHash, Time: st.LatestTime}, srcPoll)
}

// backoff is a fully jittered exponential delay for attempt n (1-based).
func backoff(base, max time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	return d/2 + rand.N(d/2+1)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
