package load

import (
	"context"
	"time"
)

// Clock is the engine's only source of time, so tests can run it on a fake one.
type Clock interface {
	Now() time.Time
	// WaitUntil returns once Now() >= t, or with ctx's error when ctx ends first.
	WaitUntil(ctx context.Context, t time.Time) error
}

// realClock is the wall clock (monotonic readings).
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) WaitUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
