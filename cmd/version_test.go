package cmd

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"
)

func TestVersionFromLdflags(t *testing.T) {
	old := [3]string{version, commit, buildDate}
	t.Cleanup(func() { version, commit, buildDate = old[0], old[1], old[2] })
	version, commit, buildDate = "v1.2.3", "abc123", "2026-11-23T00:00:00Z"

	out, err := run(t, "version", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var b BuildInfo
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatalf("version --json is not JSON: %v\n%s", err, out)
	}
	want := BuildInfo{Version: "v1.2.3", Commit: "abc123", BuildDate: "2026-11-23T00:00:00Z", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if b != want {
		t.Fatalf("got %+v, want %+v", b, want)
	}
	text, err := run(t, "version")
	if err != nil || !strings.Contains(text, "v1.2.3") || !strings.Contains(text, "abc123") {
		t.Fatalf("text version = %q, %v", text, err)
	}
}

func TestVersionNeverBlank(t *testing.T) {
	old := [3]string{version, commit, buildDate}
	t.Cleanup(func() { version, commit, buildDate = old[0], old[1], old[2] })
	version, commit, buildDate = "", "", ""
	b := Build()
	if b.Version == "" || b.Commit == "" || b.BuildDate == "" || b.Version == "dev" {
		t.Fatalf("blank or dev field: %+v", b)
	}
}
