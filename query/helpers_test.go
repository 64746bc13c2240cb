package query_test

import (
	"net"
	"testing"
)

// deadAddr returns a loopback address nothing listens on: listen, then close.
func deadAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}
