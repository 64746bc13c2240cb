package miner

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shannon-ops/pocket-relay-miner/transport"
)

// tcHoldExec is a go-redis hook that holds every MULTI/EXEC until release is closed, then sends
// it, or fails it without sending when fail is set: a commit in flight for as long as a test
// needs.
type tcHoldExec struct {
	held    chan struct{} // receives (when it has room) per transaction that reached the hook
	release chan struct{}
	fail    atomic.Bool
}

func (h *tcHoldExec) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

func (h *tcHoldExec) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (h *tcHoldExec) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			if c.Name() == "exec" {
				select {
				case h.held <- struct{}{}:
				default:
				}
				<-h.release
				if h.fail.Load() {
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
// the tree of a batch Redis may still refuse. If the commit fails, Seal applies the batch's
// entries again (they are still pending) before it closes the session; while Redis keeps
// refusing, Seal fails and leaves the session open, so the entries are never refused as late.
func TestSealWaitsForTheFlight(t *testing.T) {
	for _, fail := range []bool{false, true} {
		name := map[bool]string{false: "lands", true: "fails"}[fail]
		t.Run(name, func(t *testing.T) {
			rdb := tcStartRedis(t)
			ctx := context.Background()
			msgs := tcRelays(tcTestSupplier, tcTestSession, 0, 40)
			tcXadd(t, rdb, msgs...)
			cfg := tcTestConsumerConfig(tcTestSupplier, "a", rdb, t)
			hold := &tcHoldExec{held: make(chan struct{}, 1), release: make(chan struct{})}
			hold.fail.Store(fail)
			gate := NewGate()
			cfg.Gate = gate
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
			select {
			case <-hold.release:
			default:
				close(hold.release) // let the retries, Run's end and the cleanup through
			}
			h := tcTestHeader(tcTestSupplier, tcTestSession)
			if fail {
				if s.err == nil || !errors.Is(s.err, errTCInjectedExec) {
					t.Fatalf("Seal over a Redis that refuses every commit returned %v, want the refusal", s.err)
				}
				if !gate.Accept(h) {
					t.Fatal("a failed Seal closed the session: its pending relays would be refused as late")
				}
				// Redis answers again: the next Seal applies the entries the failed commit
				// left pending, then closes the session.
				hold.fail.Store(false)
				s.tree, s.err = c.Seal(ctx, h)
				s.committed, _ = rdb.HGet(ctx, tcTestKeys.TreeMeta(tcTestSupplier, tcTestSession), metaCount).Int64()
			}
			if s.err != nil {
				t.Fatal(s.err)
			}
			if got := int64(s.tree.Count()); got != s.committed {
				t.Fatalf("Seal returned a tree of %d relays while Redis held %d: it did not wait for the commit", got, s.committed)
			}
			if s.committed != int64(len(msgs)) {
				t.Fatalf("Redis holds %d relays, want %d", s.committed, len(msgs))
			}
			if gate.Accept(h) {
				t.Fatal("the session still takes relays after Seal")
			}
			tcAssertRoot(t, rdb, tcTestSupplier, tcTestSession, msgs)
			pending, err := rdb.XPending(ctx, c.stream, transport.ConsumerGroup).Result()
			if err != nil || pending.Count != 0 {
				t.Fatalf("pending after the seal: %+v, %v", pending, err)
			}
		})
	}
}
