package load

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenReport is a fixed run: 1000 requests over 2 s, latencies 1..1000 ms, a few errors
// of three kinds.
func goldenReport() *Report {
	r := newRecorder()
	r.start, r.end = t0, t0.Add(2*time.Second)
	for i := 1; i <= 1000; i++ {
		r.sent()
		o := Outcome{Verified: true}
		switch {
		case i%100 == 0:
			o = Outcome{Category: "relay_miner_error", Code: "relayer/3"}
		case i%250 == 1:
			o = Outcome{Category: "http_status", Code: "backend_502", Verified: true}
		case i == 7:
			o = Outcome{Category: "transport"}
		}
		r.record(o, time.Duration(i)*time.Millisecond)
	}
	rep := r.report(Config{Concurrency: 8, RPS: 500, Categories: []string{"transport", "http_status",
		"relay_miner_error", "signature_invalid", "decode", "client"}})
	rep.Target = map[string]any{"transport": "jsonrpc", "service": "develop-http"}
	return rep
}

func TestReportGolden(t *testing.T) {
	rep := goldenReport()
	var js, txt bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.golden.json", js.Bytes())
	golden(t, "report.golden.txt", txt.Bytes())

	// The JSON reads back into the same report (stable field names, no lossy fields).
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Success != 985 || back.Errors != 15 || back.ErrorsByCategory["relay_miner_error"] != 10 ||
		back.ErrorsByCategory["decode"] != 0 || back.SchemaVersion != SchemaVersion {
		t.Fatalf("round trip: %+v", back)
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// TestReportFrames: requests with frames add first_frame_ms and frames_per_relay; the fields
// are absent (the schema unchanged) when no request had frames.
func TestReportFrames(t *testing.T) {
	r := newRecorder()
	r.start, r.end = t0, t0.Add(time.Second)
	for i := 1; i <= 4; i++ {
		r.sent()
		r.record(Outcome{Verified: true, FirstFrame: time.Duration(i) * time.Millisecond, Frames: i}, 10*time.Millisecond)
	}
	rep := r.report(Config{Concurrency: 1})
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var got struct {
		SchemaVersion int `json:"schema_version"`
		FirstFrame    *struct {
			Min, Max float64
		} `json:"first_frame_ms"`
		Frames *Frames `json:"frames_per_relay"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.SchemaVersion != 1 || got.FirstFrame == nil || got.FirstFrame.Min != 1 || got.FirstFrame.Max < 4 || got.FirstFrame.Max > 4.01 ||
		got.Frames == nil || *got.Frames != (Frames{Total: 10, Min: 1, Mean: 2.5, Max: 4}) {
		t.Fatalf("report %s", buf.String())
	}
	buf.Reset()
	if err := goldenReport().WriteJSON(&buf); err != nil || bytes.Contains(buf.Bytes(), []byte("first_frame_ms")) ||
		bytes.Contains(buf.Bytes(), []byte("frames_per_relay")) {
		t.Fatalf("frames fields without frames: %v", err)
	}
	buf.Reset()
	_ = rep.WriteText(&buf)
	if !bytes.Contains(buf.Bytes(), []byte("First frame (ms): min 1.000")) || !bytes.Contains(buf.Bytes(), []byte("Frames per relay: min 1  mean 2.50  max 4  (10 in all)")) {
		t.Fatalf("text:\n%s", buf.String())
	}
}
