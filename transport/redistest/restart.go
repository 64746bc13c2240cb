package redistest

import (
	"fmt"
	"os"
)

// Restart starts a fresh, empty redis-server on the same port after Kill, so a client that kept
// its address sees the server come back, as after a crash and a restart. Extra arguments given
// to New are not repeated. Close stops the new process.
func (s *Server) Restart() error {
	select {
	case <-s.exited:
	default:
		return fmt.Errorf("redistest: restart of port %d: server still running; Kill it first", s.Port)
	}
	_ = os.RemoveAll(s.dir)
	ns, err := launch(s.Port, nil)
	if err != nil {
		return fmt.Errorf("redistest: restart on port %d: %w", s.Port, err)
	}
	s.cmd, s.dir, s.exited, s.logPath = ns.cmd, ns.dir, ns.exited, ns.logPath
	return nil
}
