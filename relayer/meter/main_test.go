package meter

import (
	"testing"

	"go.uber.org/goleak"
)

// The poktroll types pull in github.com/desertbit/timer, whose init starts a package-wide timer
// goroutine that never ends.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/desertbit/timer.timerRoutine"))
}
