package leader

import (
	"context"
	_ "embed"

	"github.com/redis/go-redis/v9"
)

var (
	//go:embed acquire.lua
	acquireLua string
	//go:embed renew.lua
	renewLua string
	//go:embed release.lua
	releaseLua string
	//go:embed heartbeat.lua
	heartbeatLua string
	//go:embed fence.lua
	fenceLua string
)

var (
	acquireScript   = redis.NewScript(acquireLua)
	renewScript     = redis.NewScript(renewLua)
	releaseScript   = redis.NewScript(releaseLua)
	heartbeatScript = redis.NewScript(heartbeatLua)
)

// scriptCall is one invocation of a script inside a pipeline.
type scriptCall struct {
	keys []string
	args []any
}

// evalPipelined runs every call of s in one pipeline (go-redis splits it per node on Cluster)
// with EVALSHA. Calls answered NOSCRIPT (a restarted or failed-over server) are retried once
// after loading the script (on every master, for a Cluster client).
func evalPipelined(ctx context.Context, c redis.UniversalClient, s *redis.Script, calls []scriptCall) []*redis.Cmd {
	cmds := make([]*redis.Cmd, len(calls))
	if len(calls) == 0 {
		return cmds
	}
	_, _ = c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, call := range calls {
			cmds[i] = s.EvalSha(ctx, p, call.keys, call.args...)
		}
		return nil
	})
	var retry []int
	for i, cmd := range cmds {
		if redis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
			retry = append(retry, i)
		}
	}
	if len(retry) == 0 {
		return cmds
	}
	if err := s.Load(ctx, c).Err(); err != nil {
		return cmds
	}
	_, _ = c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, i := range retry {
			cmds[i] = s.EvalSha(ctx, p, calls[i].keys, calls[i].args...)
		}
		return nil
	})
	return cmds
}
