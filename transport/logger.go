package transport

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// zerologRedis passes go-redis' own log lines to zerolog. They are logged at Debug: during an
// outage the client repeats them for every failed dial, while Health reports the outage once
// (Warn) and the recovery once (Info).
type zerologRedis struct{ log zerolog.Logger }

func (z zerologRedis) Printf(_ context.Context, format string, v ...any) {
	if e := z.log.Debug(); e.Enabled() {
		e.Msg(strings.TrimSpace(fmt.Sprintf(format, v...)))
	}
}

// SetRedisLogger makes go-redis log through log (process-wide: go-redis has one logger).
func SetRedisLogger(log zerolog.Logger) {
	redis.SetLogger(zerologRedis{log: log.With().Str("component", "go-redis").Logger()})
}
