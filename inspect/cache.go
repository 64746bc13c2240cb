package inspect

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	apptypes "github.com/pokt-network/poktroll/x/application/types"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
	"github.com/redis/go-redis/v9"

	"github.com/shannon-ops/pocket-relay-miner/cache"
)

// decoders decode the L2 bytes of each kind with the codec cache.Chain stores it with; a kind
// missing here is shown as hex.
var decoders = map[cache.Kind]func([]byte) (any, error){
	cache.KindSession:      viaCodec(cache.ProtoCodec[sessiontypes.Session]()),
	cache.KindSharedParams: viaCodec(cache.ProtoCodec[sharedtypes.Params]()),
	cache.KindApplication:  viaCodec(cache.ProtoCodec[apptypes.Application]()),
	cache.KindSupplier:     viaCodec(cache.ProtoCodec[sharedtypes.Supplier]()),
	cache.KindServiceCUPR:  viaCodec(cache.Uint64Codec()),
	cache.KindDifficulty:   viaCodec(cache.ProtoCodec[servicetypes.RelayMiningDifficulty]()),
	cache.KindAccount: func(b []byte) (any, error) {
		pk, err := cache.ProtoCodec[secp256k1.PubKey]().Unmarshal(b)
		if err != nil {
			return nil, err
		}
		return map[string]string{"pubkey": hex.EncodeToString(pk.Key)}, nil
	},
	cache.KindRingKeys: func(b []byte) (any, error) {
		ks, err := cache.BytesListCodec().Unmarshal(b)
		if err != nil {
			return nil, err
		}
		out := make([]string, len(ks))
		for i, k := range ks {
			out[i] = hex.EncodeToString(k)
		}
		return out, nil
	},
}

func viaCodec[T any](c cache.Codec[T]) func([]byte) (any, error) {
	return func(b []byte) (any, error) { return c.Unmarshal(b) }
}

// CacheRow is one L2 entry.
type CacheRow struct {
	Kind  string `json:"kind"`
	Key   string `json:"key"`
	Bytes int64  `json:"bytes"`
	TTLMs int64  `json:"ttl_ms"`
}

// CacheList is the answer of CacheList.
type CacheList struct {
	Entries []CacheRow `json:"entries"`
	// Live counts the members of each live kind's refresh set (cache-live).
	Live map[string]int64 `json:"live"`
}

// CacheList lists the L2 entries of kind (every kind when empty) with their size and TTL.
func (in *Inspector) CacheList(ctx context.Context, kind string) (*CacheList, error) {
	all := in.keys.CacheEntry(wild, wild)
	ks, err := in.scanKeys(ctx, in.keys.CacheEntry(orWild(kind), wild))
	if err != nil {
		return nil, err
	}
	var rows []CacheRow
	for _, k := range ks {
		vs, ok := match(all, k)
		if !ok || len(vs) != 2 {
			continue
		}
		// A kind never contains ':' (cache/kind.go), so the first ':' ends it.
		kd, key, _ := strings.Cut(vs[0]+":"+vs[1], ":")
		rows = append(rows, CacheRow{Kind: kd, Key: key})
	}
	sortBy(rows, func(r CacheRow) string { return r.Kind + "\x00" + r.Key })
	out := &CacheList{Entries: make([]CacheRow, 0, len(rows)), Live: map[string]int64{}}
	for _, r := range rows {
		key := in.keys.CacheEntry(r.Kind, r.Key)
		n, err := in.rdb.StrLen(ctx, key).Result()
		if err != nil {
			return nil, fmt.Errorf("cache entry %s: %w", key, err)
		}
		ttl, err := in.rdb.PTTL(ctx, key).Result()
		if err != nil {
			return nil, fmt.Errorf("cache entry %s: %w", key, err)
		}
		if ttlMillis(ttl) == -2 {
			continue // expired since the scan
		}
		r.Bytes, r.TTLMs = n, ttlMillis(ttl)
		out.Entries = append(out.Entries, r)
	}
	lives, err := in.scanKeys(ctx, in.keys.CacheLiveKeys(orWild(kind)))
	if err != nil {
		return nil, err
	}
	for _, k := range lives {
		vs, ok := match(in.keys.CacheLiveKeys(wild), k)
		if !ok || len(vs) != 1 {
			continue
		}
		n, err := in.rdb.ZCard(ctx, k).Result()
		if err != nil {
			return nil, fmt.Errorf("cache live set %s: %w", k, err)
		}
		out.Live[vs[0]] = n
	}
	return out, nil
}

// CacheEntry is the answer of CacheGet.
type CacheEntry struct {
	Kind    string          `json:"kind"`
	Key     string          `json:"key"`
	Exists  bool            `json:"exists"`
	Bytes   int             `json:"bytes"`
	TTLMs   int64           `json:"ttl_ms"`
	Value   json.RawMessage `json:"value,omitempty"` // decoded value, when the kind is known
	Hex     string          `json:"hex,omitempty"`   // raw bytes, when it is not or fails to decode
	Error   string          `json:"decode_error,omitempty"`
	LastUse int64           `json:"live_last_load_ms,omitempty"` // unix ms, live kinds only
	Locked  bool            `json:"locked"`                      // a fill lock is held
}

// CacheGet reads one L2 entry and decodes it with its kind's codec.
func (in *Inspector) CacheGet(ctx context.Context, kind, key string) (*CacheEntry, error) {
	if kind == "" || key == "" {
		return nil, usagef("cache get needs --kind and --key")
	}
	k := in.keys.CacheEntry(kind, key)
	e := &CacheEntry{Kind: kind, Key: key}
	b, err := in.rdb.Get(ctx, k).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		e.TTLMs = -2
	case err != nil:
		return nil, fmt.Errorf("cache entry %s: %w", k, err)
	default:
		e.Exists, e.Bytes = true, len(b)
		ttl, err := in.rdb.PTTL(ctx, k).Result()
		if err != nil {
			return nil, fmt.Errorf("cache entry %s: %w", k, err)
		}
		e.TTLMs = ttlMillis(ttl)
		e.decode(b)
	}
	if s, err := in.rdb.ZScore(ctx, in.keys.CacheLiveKeys(kind), key).Result(); err == nil {
		e.LastUse = int64(s)
	}
	n, err := in.rdb.Exists(ctx, in.keys.CacheLock(kind, key)).Result()
	if err != nil {
		return nil, fmt.Errorf("cache lock of %s: %w", k, err)
	}
	e.Locked = n > 0
	return e, nil
}

func (e *CacheEntry) decode(b []byte) {
	dec, ok := decoders[cache.Kind(e.Kind)]
	if !ok {
		e.Hex = hex.EncodeToString(b)
		return
	}
	v, err := dec(b)
	if err == nil {
		var js []byte
		if js, err = json.Marshal(v); err == nil {
			e.Value = js
			return
		}
	}
	e.Error, e.Hex = err.Error(), hex.EncodeToString(b)
}

// InvalidateCache drops one entry from every tier in every process with the cache's own
// Invalidate: DEL of the L2 entry and "origin\nkind\nkey" published on the invalidation
// channel. It is a write.
func (in *Inspector) InvalidateCache(ctx context.Context, kind, key string) error {
	if kind == "" || key == "" {
		return usagef("cache invalidate needs --kind and --key")
	}
	c, err := cache.New(cache.NewHub(in.rdb, in.keys, nil), cache.Options[string, []byte]{
		Kind: cache.Kind(kind),
		Codec: cache.Codec[[]byte]{
			Marshal:   func(b []byte) ([]byte, error) { return b, nil },
			Unmarshal: func(b []byte) ([]byte, error) { return b, nil },
		},
		Load: func(context.Context, string) ([]byte, error) {
			return nil, errors.New("redis-debug never loads from the chain")
		},
	})
	if err != nil {
		return usagef("%v", err)
	}
	return c.Invalidate(ctx, key)
}
