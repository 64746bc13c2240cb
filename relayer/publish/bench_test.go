package publish

import (
	"context"
	"testing"

	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/transport"
	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

// discard publishes nothing, instantly.
type discard struct{}

func (discard) PublishBatch(_ context.Context, msgs []transport.Message) ([]transport.Message, error) {
	return msgs[:0], nil
}

// BenchmarkEnqueue measures the hot-path cost: workers drain into a publisher that does nothing.
func BenchmarkEnqueue(b *testing.B) {
	bl, _ := newBacklog(b, discard{}, config.Publish{Backlog: 1 << 16, Workers: 2, OverflowPolicy: config.OverflowDropNewest})
	stop := startRun(bl)
	defer stop()
	m := realMsg(1, "pokt1aaa")
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			bl.Enqueue(m)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				bl.Enqueue(m)
			}
		})
	})
}

// BenchmarkEnqueueToRedis measures end-to-end throughput into a real redis-server.
func BenchmarkEnqueueToRedis(b *testing.B) {
	srv := redistest.Start(b)
	rdb := srv.Client()
	defer rdb.Close()
	bl, _ := newBacklog(b, transport.NewPublisher(rdb, transport.MustKeys("bench")),
		config.Publish{Backlog: 1 << 20, Workers: 4, OverflowPolicy: config.OverflowDropNewest})
	stop := startRun(bl)
	defer stop()
	m := realMsg(1, "pokt1aaa")
	m.Relay = make([]byte, 1024)
	m.RelayHash = transport.HashRelay(m.Relay)
	b.ReportAllocs()
	for b.Loop() {
		bl.Enqueue(m)
	}
	if err := bl.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
}
