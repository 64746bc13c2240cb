package localnet

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"go.uber.org/goleak"
)

// helperEnv makes the test binary act as a small server process for the process tests: it
// listens on the given address until SIGTERM.
const helperEnv = "LOCALNET_TEST_HELPER_LISTEN"

func TestMain(m *testing.M) {
	if addr := os.Getenv(helperEnv); addr != "" {
		os.Exit(helperServer(addr))
	}
	// poktroll's and cosmos-sdk's types (txs.go, difficulty.go) pull in grpc-web, whose timer
	// package starts a goroutine at init that never stops.
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/desertbit/timer.timerRoutine"))
}

func helperServer(addr string) int {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	<-sig
	_ = ln.Close()
	return 0
}
