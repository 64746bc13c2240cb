package inspect

import (
	"context"
	"fmt"
	"strconv"
)

// MeterRow is the relay-meter consumption of one (supplier, session). The budget (maxCoin) is
// computed by each relayer from chain data and never stored, so only what was consumed is
// shown.
type MeterRow struct {
	Supplier      string `json:"supplier"`
	SessionID     string `json:"session_id"`
	ConsumedUpokt uint64 `json:"consumed_upokt"`
	TTLMs         int64  `json:"ttl_ms"`
}

// Meters is the answer of Meter.
type Meters struct {
	Meters []MeterRow `json:"meters"`
}

// Meter lists the meter keys of supplier and session (every one when empty).
func (in *Inspector) Meter(ctx context.Context, supplier, sessionID string) (*Meters, error) {
	pat := in.keys.Meter(orWild(supplier), orWild(sessionID))
	ks, err := in.scanKeys(ctx, pat)
	if err != nil {
		return nil, err
	}
	var rows []MeterRow
	all := in.keys.Meter(wild, wild)
	for _, k := range ks {
		vs, ok := match(all, k)
		if !ok || len(vs) != 2 {
			continue
		}
		rows = append(rows, MeterRow{Supplier: vs[0], SessionID: vs[1]})
	}
	sortBy(rows, func(r MeterRow) string { return r.Supplier + "\x00" + r.SessionID })
	out := &Meters{Meters: []MeterRow{}}
	for _, r := range rows {
		key := in.keys.Meter(r.Supplier, r.SessionID)
		v, err := in.rdb.Get(ctx, key).Result()
		if err != nil {
			continue // expired since the scan
		}
		if r.ConsumedUpokt, err = strconv.ParseUint(v, 10, 64); err != nil {
			return nil, fmt.Errorf("meter %s: %w", key, err)
		}
		ttl, err := in.rdb.PTTL(ctx, key).Result()
		if err != nil {
			return nil, fmt.Errorf("meter %s ttl: %w", key, err)
		}
		r.TTLMs = ttlMillis(ttl)
		out.Meters = append(out.Meters, r)
	}
	return out, nil
}

func orWild(s string) string {
	if s == "" {
		return wild
	}
	return s
}
