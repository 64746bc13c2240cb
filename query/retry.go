package query

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// caller runs one call with per-attempt timeouts, classified errors and jittered retries.
type caller struct {
	cfg Config
	m   *metrics
}

// do runs attempt until it succeeds, fails with a non-transient error, the retries run out or
// ctx ends. The returned error is classified and prefixed with the method name.
func (c *caller) do(ctx context.Context, me Method, attempt func(ctx context.Context) error) error {
	start := time.Now()
	var err error
	for n := 0; ; n++ {
		actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
		err = classify(ctx, attempt(actx))
		cancel()
		if err == nil || !errors.Is(err, ErrTransient) || n >= c.cfg.MaxRetries {
			break
		}
		if werr := wait(ctx, backoff(c.cfg.BackoffBase, c.cfg.BackoffMax, n)); werr != nil {
			err = werr
			break
		}
	}
	c.m.observe(me, err, start)
	if err != nil {
		return fmt.Errorf("%s: %w", me, err)
	}
	return nil
}

// backoff is the wait before retry n (0-based): uniform in [0, min(max, base·2ⁿ)], the "full
// jitter" that keeps a fleet of retrying clients from hitting the node in step.
func backoff(base, max time.Duration, n int) time.Duration {
	d := base
	for i := 0; i < n && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	if d <= 0 {
		return 0
	}
	return rand.N(d + 1)
}

// wait blocks for d or until ctx ends, whichever is first.
func wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
