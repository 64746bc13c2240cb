package inspect

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// Started by an init function of a dependency of the cosmos-sdk gRPC stack; not ours.
		goleak.IgnoreTopFunction("github.com/desertbit/timer.timerRoutine"),
	)
}
