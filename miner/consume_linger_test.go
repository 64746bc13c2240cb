package miner

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// tcEventHooks records the size of every batch read, in order with the consumer's lingers.
type tcEventHooks struct {
	mu     sync.Mutex
	events []string
}

func (h *tcEventHooks) add(e string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, e)
}

func (h *tcEventHooks) list() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.events)
}

func (h *tcEventHooks) AfterRead(n int) error { h.add(fmt.Sprintf("read %d", n)); return nil }
func (h *tcEventHooks) AfterApply(int) error  { return nil }
func (h *tcEventHooks) AfterCommit(int) error { return nil }

// TestConsumeLingersAfterPartialBatch: a read that fills a batch is followed by the next read at
// once, a partial one by a linger (so a trickle accumulates into batches), an empty one by
// neither (the blocking read waits for the stream instead).
func TestConsumeLingersAfterPartialBatch(t *testing.T) {
	rdb := tcStartRedis(t)
	msgs := tcRelays(tcTestSupplier, tcTestSession, 0, 260)
	tcXadd(t, rdb, msgs[:250]...)
	hooks := &tcEventHooks{}
	cfg := tcTestConsumerConfig(tcTestSupplier, "a", rdb, t)
	cfg.BatchSize, cfg.Linger, cfg.ReclaimMinIdle, cfg.Hooks = 100, time.Hour, time.Hour, hooks
	c, err := NewConsumer(rdb, tcTestKeys, cfg, NewConsumeMetrics(tcNopRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	lingers := 0
	c.sleep = func(ctx context.Context, d time.Duration) bool {
		if d != time.Hour {
			t.Errorf("lingered %s, want the configured %s", d, time.Hour)
		}
		hooks.add("linger")
		if lingers++; lingers == 1 {
			// The trickle that arrives while the consumer lingers (not tcXadd: this is not the
			// test's goroutine, so no t.Fatal).
			for i := range msgs[250:] {
				b, err := msgs[250+i].Encode()
				if err == nil {
					err = rdb.XAdd(ctx, &redis.XAddArgs{Stream: tcTestKeys.RelayStream(tcTestSupplier), Values: []any{transport.MessageField, b}}).Err()
				}
				if err != nil {
					t.Errorf("xadd: %v", err)
				}
			}
		}
		return ctx.Err() == nil
	}
	w := StartWorker(context.Background(), c)
	t.Cleanup(func() { _ = w.Stop() })
	tcEventually(t, 10*time.Second, "the second linger", func() bool { return len(hooks.list()) >= 6 })
	tcWaitDrained(t, rdb, tcTestSupplier)
	want := []string{"read 100", "read 100", "read 50", "linger", "read 10", "linger"}
	if got := hooks.list(); !slices.Equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	tcAssertRoot(t, rdb, tcTestSupplier, tcTestSession, msgs)
}
