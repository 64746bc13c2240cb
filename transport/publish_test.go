package transport

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

// readAll reads every entry of the supplier's stream through the consumer group, as a miner does.
func readAll(t *testing.T, rdb redis.UniversalClient, stream string) []Message {
	t.Helper()
	ctx := context.Background()
	if err := EnsureGroup(ctx, rdb, stream); err != nil {
		t.Fatal(err)
	}
	var out []Message
	for {
		res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: ConsumerGroup, Consumer: "c1", Streams: []string{stream, ">"}, Count: 1000, Block: -1,
		}).Result()
		if errors.Is(err, redis.Nil) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(res) == 0 || len(res[0].Messages) == 0 {
			return out
		}
		for _, e := range res[0].Messages {
			m, err := DecodeEntry(e)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
		}
	}
}

func testPublishAndConsume(t *testing.T, rdb redis.UniversalClient) {
	ctx := context.Background()
	keys := MustKeys("t")
	pub := NewPublisher(rdb, keys)
	suppliers := []string{"pokt1supplieraaa", "pokt1supplierbbb", "pokt1supplierccc"}

	one := sampleMessage(100)
	one.Supplier = suppliers[0]
	if err := pub.Publish(ctx, &one); err != nil {
		t.Fatal(err)
	}
	var batch []Message
	for i := range 30 {
		m := sampleMessage(50 + i)
		m.Supplier = suppliers[i%3]
		m.ComputeUnitsPerRelay = uint64(i)
		batch = append(batch, m)
	}
	want := append([]Message(nil), batch...)
	failed, err := pub.PublishBatch(ctx, batch)
	if err != nil || len(failed) != 0 {
		t.Fatalf("PublishBatch: %d failed, %v", len(failed), err)
	}
	for si, s := range suppliers {
		stream := keys.RelayStream(s)
		if ttl := rdb.PTTL(ctx, stream).Val(); ttl != -1 {
			t.Fatalf("stream %s has a TTL %v; live streams never expire", stream, ttl)
		}
		got := readAll(t, rdb, stream)
		var exp []Message
		if si == 0 {
			exp = append(exp, one)
		}
		for _, m := range want {
			if m.Supplier == s {
				exp = append(exp, m)
			}
		}
		if len(got) != len(exp) {
			t.Fatalf("%s: got %d entries, want %d", s, len(got), len(exp))
		}
		for i := range got {
			if !equalMessages(got[i], exp[i]) {
				t.Fatalf("%s entry %d differs", s, i)
			}
		}
	}
}

func TestPublishAndConsume(t *testing.T) {
	s := redistest.Start(t)
	rdb := s.Client()
	defer rdb.Close()
	testPublishAndConsume(t, rdb)
}

func TestPublishAndConsumeCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	rdb := c.Client()
	defer rdb.Close()
	testPublishAndConsume(t, rdb)
}

func TestEnsureGroupIsIdempotent(t *testing.T) {
	s := redistest.Start(t)
	rdb := s.Client()
	defer rdb.Close()
	stream := MustKeys("t").RelayStream("pokt1x")
	for range 3 {
		if err := EnsureGroup(context.Background(), rdb, stream); err != nil {
			t.Fatal(err)
		}
	}
	if n := rdb.Exists(context.Background(), stream).Val(); n != 1 {
		t.Fatalf("MKSTREAM: stream exists = %d", n)
	}
	// A key of the wrong type is an error, not BUSYGROUP.
	rdb.Set(context.Background(), "plain", "v", 0)
	if err := EnsureGroup(context.Background(), rdb, "plain"); err == nil {
		t.Fatal("EnsureGroup on a string key: want an error")
	}
}

func TestDecodeEntryRejects(t *testing.T) {
	m := sampleMessage(20)
	good, _ := m.Encode()
	bad := m
	bad.RelayHash[3] ^= 0x40
	badHash, _ := bad.Encode()
	cases := map[string]map[string]any{
		"no field":   {"x": string(good)},
		"not string": {MessageField: 7},
		"truncated":  {MessageField: string(good[:20])},
		"bad hash":   {MessageField: string(badHash)},
	}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeEntry(redis.XMessage{ID: "1-1", Values: v})
			if !errors.Is(err, ErrMalformedMessage) || !strings.Contains(err.Error(), "1-1") {
				t.Fatalf("got %v", err)
			}
		})
	}
	if _, err := DecodeEntry(redis.XMessage{ID: "1-2", Values: map[string]any{MessageField: string(good)}}); err != nil {
		t.Fatal(err)
	}
}

func TestPublishBatchReportsFailures(t *testing.T) {
	s := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer rdb.Close()
	pub := NewPublisher(rdb, MustKeys("t"))
	s.Kill()
	msgs := make([]Message, 5)
	for i := range msgs {
		msgs[i] = sampleMessage(i)
		msgs[i].Supplier = fmt.Sprint("pokt1s", i)
	}
	failed, err := pub.PublishBatch(context.Background(), msgs)
	if err == nil || len(failed) != 5 {
		t.Fatalf("Redis down: %d failed, err %v; want all 5 back", len(failed), err)
	}
	// An unencodable message is reported but not handed back for retry.
	msgs = []Message{sampleMessage(1)}
	msgs[0].ServiceID = strings.Repeat("x", 300)
	failed, err = pub.PublishBatch(context.Background(), msgs)
	if !errors.Is(err, ErrMalformedMessage) || len(failed) != 0 {
		t.Fatalf("unencodable: %d failed, err %v", len(failed), err)
	}
}

func BenchmarkPublish(b *testing.B) {
	s := redistest.Start(b)
	rdb := s.Client()
	defer rdb.Close()
	pub := NewPublisher(rdb, MustKeys("bench"))
	ctx := context.Background()
	m := sampleMessage(1024)
	b.Run("single", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := pub.Publish(ctx, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("batch64", func(b *testing.B) {
		b.ReportAllocs()
		batch := make([]Message, 64)
		for b.Loop() {
			for i := range batch {
				batch[i] = m
			}
			if _, err := pub.PublishBatch(ctx, batch); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*64), "ns/relay")
	})
}
