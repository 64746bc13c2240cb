package load

import (
	"fmt"
	"sync"
	"time"
)

// startProgress prints a status line to cfg.Progress every cfg.ProgressInterval until the
// returned stop is called; stop waits for the printer and ends the line.
func startProgress(cfg Config, rec *recorder) (stop func()) {
	if cfg.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(cfg.ProgressInterval)
		defer tick.Stop()
		last := time.Now()
		for {
			select {
			case <-done:
				if cfg.ProgressInline {
					fmt.Fprintln(cfg.Progress)
				}
				return
			case now := <-tick.C:
				s := rec.take()
				rps := float64(s.done) / now.Sub(last).Seconds()
				last = now
				pre, post := "", "\n"
				if cfg.ProgressInline {
					pre, post = "\r\033[K", ""
				}
				fmt.Fprintf(cfg.Progress, "%ssent %d  ok %d  errors %d  %.0f rps  p50 %s  p99 %s%s",
					pre, s.sent, s.ok, s.failed, rps, s.p50, s.p99, post)
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
