package localnet

import (
	"context"
	"strconv"
	"time"
)

// nodeStartTimeout bounds the wait for the first blocks.
const nodeStartTimeout = 2 * time.Minute

// startNode starts `pocketd start` and waits until its listeners answer and block 2 is
// committed (txs need a committed block to simulate against).
func (l *Localnet) startNode(ctx context.Context) error {
	lo := func(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }
	addrs := []string{lo(l.Ports.RPC), lo(l.Ports.GRPC), lo(l.Ports.API), lo(l.Ports.P2P)}
	p, err := l.startProc("pocketd", l.PocketdPath, []string{"start", "--home", l.Home}, addrs)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, nodeStartTimeout)
	defer cancel()
	for _, a := range addrs[:3] {
		if err := p.waitListening(ctx, a); err != nil {
			return err
		}
	}
	h, err := l.WaitHeight(ctx, 2)
	if err != nil {
		return err
	}
	l.logf("pocketd is producing blocks (height %d)", h)
	return nil
}
