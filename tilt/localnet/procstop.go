package localnet

import "context"

// Stop sends SIGTERM to a process the stack started (SIGKILL after a grace period), waits for
// it to exit and for its listeners to close. Tests use it to check a component's drain before
// Down; Down skips a process that no longer runs.
func (p *Proc) Stop(ctx context.Context) error { return p.stop(ctx) }
