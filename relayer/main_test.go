package relayer

import (
	"testing"

	"go.uber.org/goleak"
)

// desertbit/timer (pulled in through poktroll's dependencies) starts its goroutine in init.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/desertbit/timer.timerRoutine"))
}
