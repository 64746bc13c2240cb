package transport

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/shannon-ops/pocket-relay-miner/transport/redistest"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url                          string
		wantAddrs                    string
		wantMaster, wantUser, wantPW string
		wantDB                       int
		wantCluster, wantTLS         bool
		wantErr                      string
	}{
		{url: "redis://127.0.0.1:6380", wantAddrs: "127.0.0.1:6380"},
		{url: "redis://localhost", wantAddrs: "localhost:6379"},
		{url: "redis://u:p%40ss@h:1/3", wantAddrs: "h:1", wantUser: "u", wantPW: "p@ss", wantDB: 3},
		{url: "rediss://h:1", wantAddrs: "h:1", wantTLS: true},
		{url: "redis+sentinel://h1:26379,h2:26379/mymaster/2", wantAddrs: "h1:26379,h2:26379", wantMaster: "mymaster", wantDB: 2},
		{url: "redis+cluster://a:1,b:2,c:3", wantAddrs: "a:1,b:2,c:3", wantCluster: true},
		{url: "rediss+cluster://a:1", wantAddrs: "a:1", wantCluster: true, wantTLS: true},
		{url: "[::1]:6379", wantErr: "want scheme://"},
		{url: "http://h:1", wantErr: "unknown scheme"},
		{url: "redis://a:1,b:2", wantErr: "names one host"},
		{url: "redis+sentinel://h:1", wantErr: "master name"},
		{url: "redis+cluster://h:1/0", wantErr: "no path"},
		{url: "redis://h:99999", wantErr: "port"},
		{url: "redis://h:1/x", wantErr: "database"},
		{url: "redis://h:1?db=2", wantErr: "query parameters"},
		{url: "redis://", wantErr: "no host"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			o, err := ParseURL(tt.url)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got := strings.Join(o.Addrs, ","); got != tt.wantAddrs {
				t.Errorf("addrs = %s, want %s", got, tt.wantAddrs)
			}
			if o.MasterName != tt.wantMaster || o.Username != tt.wantUser || o.Password != tt.wantPW ||
				o.DB != tt.wantDB || o.IsClusterMode != tt.wantCluster || (o.TLSConfig != nil) != tt.wantTLS {
				t.Errorf("options = %+v", o)
			}
		})
	}
}

func TestErrorsNeverLeakPassword(t *testing.T) {
	for _, u := range []string{"redis://u:hunter2@", "redis://u:hunter2@a:1,b:2"} {
		_, err := ParseURL(u)
		if err == nil {
			t.Fatalf("%s: expected error", u)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("error leaks password: %v", err)
		}
	}
	if got := RedactURL("redis://u:hunter2@h:1"); strings.Contains(got, "hunter2") {
		t.Fatalf("RedactURL = %s", got)
	}
}

func TestNewClientStandaloneAndCluster(t *testing.T) {
	ctx := context.Background()
	s := redistest.Start(t)
	c, err := NewClient(s.URL(), PoolOptions{PoolSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("standalone ping: %v", err)
	}

	cl := redistest.StartCluster(t)
	cc, err := NewClient(cl.URL(), PoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	k := MustKeys("")
	// A transaction across one supplier's keys must be legal on Cluster thanks to the hash tag.
	op := "pokt19a3t4yunp0dlpfjrp7qwnzwlrzd5fzs2gjaaaj"
	_, err = cc.TxPipelined(ctx, func(p redisPipeliner) error {
		p.HSet(ctx, k.TreeNodes(op, "s"), "n", "v")
		p.HSet(ctx, k.TreeMeta(op, "s"), "root", "r")
		p.XAdd(ctx, xaddArgs(k.RelayStream(op)))
		return nil
	})
	if err != nil {
		t.Fatalf("cross-key MULTI on one supplier's keys: %v", err)
	}
}

type redisPipeliner = redis.Pipeliner

func xaddArgs(stream string) *redis.XAddArgs {
	return &redis.XAddArgs{Stream: stream, Values: []string{"k", "v"}}
}
