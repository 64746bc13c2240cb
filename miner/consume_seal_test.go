package miner

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// tcHoldExec is a go-redis hook that holds every MULTI/EXEC until release is closed, then sends
// it, or fails it without sending when fail is set: a commit in flight for as long as a test
// needs.
type tcHoldExec struct {
	held    chan struct{} // receives once per transaction that reached the hook
	release chan struct{}
	fail    bool
}

func (h *tcHoldExec) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

func (h *tcHoldExec) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (h *tcHoldExec) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			if c.Name() == "exec" {
				h.held <- struct{}{}
				<-h.release
				if h.fail {
					return errTCInjectedExec
				}
				break
			}
		}
		return next(ctx, cmds)
	}
}

// TestSealWaitsForTheFlight seals a session while its batch's commit is in flight: Seal returns
// only once the commit landed, with the committed tree (its root is what gets claimed), never
// the tree of a batch Redis may still refuse. If the commit fails, Seal returns the committed
// state without the batch and the consumer's next apply reports the failure, so its loop
// replays the entries.
func TestSealWaitsForTheFlight(t *testing.T) {
	for _, fail := range []bool{false, true} {
		name := map[bool]string{false: "lands", true: "fails"}[fail]
		t.Run(name, func(t *testing.T) {
			rdb := tcStartRedis(t)
			ctx := context.Background()
			msgs := tcRelays(tcTestSupplier, tcTestSession, 0, 40)
			tcXadd(t, rdb, msgs...)
			cfg := tcTestConsumerConfig(tcTestSupplier, "a", rdb, t)
			hold := &tcHoldExec{held: make(chan struct{}, 1), release: make(chan struct{}), fail: fail}
			crdb := redis.NewClient(rdb.Options())
			defer crdb.Close()
			crdb.AddHook(hold)
			c, err := NewConsumer(crdb, tcTestKeys, cfg, NewConsumeMetrics(tcNopRegistry()))
			if err != nil {
				t.Fatal(err)
			}
			if err := transport.EnsureGroup(ctx, rdb, c.stream); err != nil {
				t.Fatal(err)
			}
			entries, err := c.read(ctx, ">")
			if err != nil || len(entries) != len(msgs) {
				t.Fatalf("read %d entries: %v", len(entries), err)
			}
			if err := c.apply(ctx, entries); err != nil {
				t.Fatal(err)
			}
			<-hold.held // the batch's EXEC is in flight and held

			type sealed struct {
				tree      *Tree
				committed int64
				err       error
			}
			done := make(chan sealed, 1)
			go func() {
				tr, err := c.Seal(ctx, tcTestHeader(tcTestSupplier, tcTestSession))
				n, _ := rdb.HGet(ctx, tcTestKeys.TreeMeta(tcTestSupplier, tcTestSession), metaCount).Int64()
				done <- sealed{tr, n, err}
			}()
			// A Seal that does not wait returns now, with the EXEC still held; one that waits
			// returns only after the release. (The window only gives a wrong Seal time to show
			// itself; a right one passes whatever the scheduling.)
			var s sealed
			select {
			case s = <-done:
			case <-time.After(200 * time.Millisecond):
				close(hold.release)
				s = <-done
			}
			if s.tree == nil && s.err == nil {
				t.Fatal("no tree")
			}
			if s.err != nil {
				t.Fatal(s.err)
			}
			if got := int64(s.tree.Count()); got != s.committed {
				t.Fatalf("Seal returned a tree of %d relays while Redis held %d: it did not wait for the commit", got, s.committed)
			}
			want := int64(len(msgs))
			if fail {
				want = 0
			}
			if s.committed != want {
				t.Fatalf("Redis holds %d relays, want %d", s.committed, want)
			}
			select {
			case <-hold.release:
			default:
				close(hold.release) // let Run's end and the cleanup through
			}
			if !fail {
				tcAssertRoot(t, rdb, tcTestSupplier, tcTestSession, msgs)
				return
			}
			if err := c.apply(ctx, nil); !errors.Is(err, errTCInjectedExec) {
				t.Fatalf("the next apply after a failed flight returned %v, want the injected failure", err)
			}
			pending, err := rdb.XPending(ctx, c.stream, transport.ConsumerGroup).Result()
			if err != nil || pending.Count != int64(len(msgs)) {
				t.Fatalf("pending after the failed commit: %+v, %v", pending, err)
			}
		})
	}
}
