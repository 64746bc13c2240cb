package redistest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// clusterSlots is the number of hash slots of every Redis Cluster.
const clusterSlots = 16384

// Cluster is three redis-server masters joined into one Redis Cluster.
type Cluster struct {
	Masters []*Server
}

// Addrs returns the seed addresses of the cluster's masters.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.Masters))
	for i, m := range c.Masters {
		out[i] = m.Addr
	}
	return out
}

// URL returns a redis+cluster:// URL naming every master, the form config accepts.
func (c *Cluster) URL() string {
	return "redis+cluster://" + strings.Join(c.Addrs(), ",")
}

// Client returns a new cluster client. The caller closes it.
func (c *Cluster) Client() *redis.ClusterClient {
	return redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
}

// Close stops every master.
func (c *Cluster) Close() error {
	var errs []error
	for _, m := range c.Masters {
		errs = append(errs, m.Close())
	}
	return errors.Join(errs...)
}

// StartCluster launches a 3-master Redis Cluster for t and stops it in t.Cleanup.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	c, err := NewCluster()
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("redistest: %v", err)
		}
	})
	return c
}

// NewCluster launches a 3-master Redis Cluster on free loopback ports; the caller must Close it.
func NewCluster() (*Cluster, error) {
	c := &Cluster{}
	for range 3 {
		s, err := newClusterNode()
		if err != nil {
			_ = c.Close()
			return nil, err
		}
		c.Masters = append(c.Masters, s)
	}
	if err := c.form(); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

func newClusterNode() (*Server, error) {
	var lastErr error
	for range 5 {
		port, err := freePort(true)
		if err != nil {
			return nil, err
		}
		s, err := launch(port, []string{
			"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "2000",
		})
		if err == nil {
			return s, nil
		}
		lastErr = err
		if errors.Is(err, ErrNoRedisServer) {
			break
		}
	}
	return nil, lastErr
}

// form splits the slots evenly, introduces the nodes to each other and waits until every node
// reports cluster_state:ok and agrees on the slot map.
func (c *Cluster) form() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n := len(c.Masters)
	for i, m := range c.Masters {
		cl := m.Client()
		lo := i * clusterSlots / n
		hi := (i+1)*clusterSlots/n - 1
		err := cl.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err()
		if err == nil && i > 0 {
			err = cl.ClusterMeet(ctx, "127.0.0.1", strconv.Itoa(c.Masters[0].Port)).Err()
		}
		_ = cl.Close()
		if err != nil {
			return fmt.Errorf("form cluster on %s: %w", m.Addr, err)
		}
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if c.healthy(ctx) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster did not reach cluster_state:ok: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

func (c *Cluster) healthy(ctx context.Context) bool {
	for _, m := range c.Masters {
		cl := m.Client()
		info, err := cl.ClusterInfo(ctx).Result()
		var shards []redis.ClusterShard
		if err == nil {
			shards, err = cl.ClusterShards(ctx).Result()
		}
		_ = cl.Close()
		if err != nil || !strings.Contains(info, "cluster_state:ok") || len(shards) != len(c.Masters) {
			return false
		}
	}
	// The cluster client must also route correctly: a write that lands on every master.
	cc := c.Client()
	defer cc.Close()
	for _, k := range []string{"{a}probe", "{b}probe", "{c}probe"} {
		if err := cc.Set(ctx, k, "1", time.Second).Err(); err != nil {
			return false
		}
	}
	return true
}
