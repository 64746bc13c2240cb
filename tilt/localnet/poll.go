package localnet

import (
	"context"
	"fmt"
	"time"
)

// poll calls check every interval until it reports done, returns an error, or ctx ends. The
// first check runs at once. On ctx end the error names what was awaited and the last check error.
func poll(ctx context.Context, what string, interval time.Duration, check func(context.Context) (bool, error)) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	var last error
	for {
		done, err := check(ctx)
		if done {
			return err
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("wait for %s: %w (last error: %v)", what, ctx.Err(), last)
			}
			return fmt.Errorf("wait for %s: %w", what, ctx.Err())
		case <-t.C:
		}
	}
}

// logf writes one progress line.
func (l *Localnet) logf(format string, args ...any) {
	if l.log != nil {
		fmt.Fprintf(l.log, "localnet: "+format+"\n", args...)
	}
}
