package backend

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

// TestNoURLInLogsErrorsOrMetrics runs failing exchanges against endpoints whose URLs carry a
// key, with debug logging on, and checks that neither the logs, the errors nor the metric
// labels show the URL.
func TestNoURLInLogsErrorsOrMetrics(t *testing.T) {
	const key = "SECRETKEY123"
	var logs bytes.Buffer
	log := zerolog.New(&logs).Level(zerolog.DebugLevel)
	fail := server(t, statusHandler(500, nil))
	cfg := backendCfg(deadURL(t)+"/v2/"+key+"?apikey="+key, "http://user:"+key+"@"+strings.TrimPrefix(fail.URL, "http://")+"/"+key)
	cfg.HealthCheck = &config.HealthCheck{Path: "/health?token=" + key, Interval: time.Hour, Timeout: time.Second}
	cfg.Headers = map[string]string{"X-Api-Key": key}
	reg := prometheus.NewRegistry()
	p, err := New("svc", config.RPCREST, cfg, log, NewMetrics(reg), WithBreaker(1, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	p.probeAll(context.Background())
	for range 3 {
		res, err := p.Do(context.Background(), postReq("/", "x"), Headers{})
		if err != nil && strings.Contains(err.Error(), key) {
			t.Errorf("error shows the key: %v", err)
		}
		res.Release()
	}
	p2, _ := newPool(t, backendCfg(deadURL(t)+"/"+key))
	if _, err := p2.Do(context.Background(), postReq("/", "x"), Headers{}); err == nil || strings.Contains(err.Error(), key) {
		t.Errorf("error: %v", err)
	}
	if strings.Contains(logs.String(), key) {
		t.Errorf("logs show the key:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "breaker opened") || !strings.Contains(logs.String(), "unhealthy") {
		t.Errorf("expected breaker logs, got:\n%s", logs.String())
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	series := 0
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			series++
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), key) || strings.Contains(l.GetValue(), "127.0.0.1") {
					t.Errorf("%s label %s=%q", mf.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
	// Per endpoint: 7 outcomes, 5 classes, duration, healthy, breaker; plus 3 retry reasons.
	if want := 2*(7+5+3) + 3; series != want {
		t.Errorf("%d series, want %d", series, want)
	}
}
