package leader

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// metricValue returns the value of the series name{labels} in reg, or -1 when absent.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if matches(m, labels) {
				switch {
				case m.Counter != nil:
					return m.Counter.GetValue()
				case m.Gauge != nil:
					return m.Gauge.GetValue()
				}
			}
		}
	}
	return -1
}

func matches(m *dto.Metric, labels map[string]string) bool {
	if len(m.GetLabel()) != len(labels) {
		return false
	}
	for _, lp := range m.GetLabel() {
		if labels[lp.GetName()] != lp.GetValue() {
			return false
		}
	}
	return true
}

func TestElectionWorkErrorEndsRunAndReleases(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, srv.URL())
	reg := prometheus.NewRegistry()
	key := testKeys.LeaderLease("global")
	e, err := NewElection(c, key, "a", testTTL, testRenew, nopLog(), reg)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err = e.Run(context.Background(), func(ctx context.Context, token int64) error {
		if metricValue(t, reg, "relayminer_leader_is_leader", nil) != 1 {
			t.Error("is_leader gauge not 1 while leading")
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want the work's error", err)
	}
	if n := c.Exists(context.Background(), key).Val(); n != 0 {
		t.Fatal("lease not released after the work failed")
	}
	if e.IsLeader() || metricValue(t, reg, "relayminer_leader_is_leader", nil) != 0 {
		t.Fatal("still leader after Run returned")
	}
	for name, want := range map[string]float64{"relayminer_lease_acquired_total": 1} {
		if got := metricValue(t, reg, name, map[string]string{"kind": "global"}); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if got := metricValue(t, reg, "relayminer_lease_lost_total", map[string]string{"kind": "global", "reason": "released"}); got != 1 {
		t.Errorf("lost_total{released} = %v, want 1", got)
	}
	if got := metricValue(t, reg, "relayminer_lease_lost_total", map[string]string{"kind": "global", "reason": "redis_error"}); got != 0 {
		t.Errorf("lost_total{redis_error} = %v, want 0 (series created at zero)", got)
	}
}
