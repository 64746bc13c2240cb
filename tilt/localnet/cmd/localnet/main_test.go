package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/shannon-ops/pocket-relay-miner/tilt/localnet"
)

func TestRunExitCodes(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args     []string
		wantCode int
		wantErr  string
	}{
		{nil, 2, "usage"},
		{[]string{"sideways"}, 2, "usage"},
		{[]string{"status", "-dir", dir}, 1, "read state"},
		{[]string{"down", "-dir", dir}, 0, "nothing recorded"},
		{[]string{"up", "-h"}, 0, "-relayminer"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(t.Context(), tt.args, &out, &errb); code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.wantCode, errb.String())
			}
			if !strings.Contains(errb.String(), tt.wantErr) {
				t.Fatalf("stderr %q lacks %q", errb.String(), tt.wantErr)
			}
		})
	}
}

func TestShellJoin(t *testing.T) {
	got := shellJoin([]string{"relay", "--payload", `{"a":1}`, "it's"})
	if want := `relay --payload '{"a":1}' 'it'\''s'`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestSummaryNamesEverything(t *testing.T) {
	l := &localnet.Localnet{Dir: "/d", ChainID: "pocket", RPCURL: "http://127.0.0.1:1", NodeRPC: "tcp://127.0.0.1:1",
		GRPCAddr: "127.0.0.1:2", APIURL: "http://127.0.0.1:3", RelayMinerURL: "http://127.0.0.1:4",
		BackendURL: "http://127.0.0.1:5", ServiceID: "svc", Accounts: localnet.WellKnownAccounts()}
	var b bytes.Buffer
	printSummary(&b, l, localnet.Status{Height: 9})
	for _, want := range []string{"height 9", "127.0.0.1:2", "app1", "pokt19a3t4yunp0dlpfjrp7qwnzwlrzd5fzs2gjaaaj", "relayminer relay", "make localnet-down"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}
