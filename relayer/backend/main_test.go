package backend

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// Started by an init function of a Cosmos SDK dependency (grpc-web), never stopped.
		goleak.IgnoreTopFunction("github.com/desertbit/timer.timerRoutine"),
	)
}
