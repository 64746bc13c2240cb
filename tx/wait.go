package tx

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff is an exponential wait with full jitter: attempt n waits a random time in
// [0, min(hi, lo×2^n)], at least lo/2.
type backoff struct {
	lo, hi, cur time.Duration
}

func newBackoff(lo, hi time.Duration) *backoff { return &backoff{lo: lo, hi: hi, cur: lo} }

func (b *backoff) next() time.Duration {
	d := b.cur
	b.cur = min(b.cur*2, b.hi)
	return b.lo/2 + rand.N(d-b.lo/2+1)
}

// wait waits the next backoff, or returns the context's error.
func (b *backoff) wait(ctx context.Context) error { return sleepCtx(ctx, b.next()) }

// sleepCtx waits d on a timer, or returns the context's error first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
