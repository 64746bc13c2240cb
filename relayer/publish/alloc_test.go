//go:build !race

package publish

import (
	"testing"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

// TestEnqueueDoesNotAllocate: once the ring has grown, Enqueue allocates nothing.
func TestEnqueueDoesNotAllocate(t *testing.T) {
	b, _ := newBacklog(t, discard{}, config.Publish{Backlog: 4096, Workers: 2, OverflowPolicy: config.OverflowDropNewest})
	stop := startRun(b)
	defer stop()
	m := realMsg(1, "pokt1aaa")
	for range 2048 { // grow the ring
		b.Enqueue(m)
	}
	eventually(t, "drain", func() bool { return b.Len() == 0 })
	if n := testing.AllocsPerRun(1000, func() { b.Enqueue(m) }); n != 0 {
		t.Fatalf("Enqueue allocates %v times per call", n)
	}
}
