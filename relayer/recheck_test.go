package relayer

import (
	"testing"

	"github.com/shannon-ops/pocket-relay-miner/relayer/ring"
)

func recheckAll(f *fixture) { f.cfg.RingRecheck.SampleRate = 1 }

// TestRingRecheckCatchesALyingVerifier: when the fast verifier accepts a signature that ring-go
// (what the chain verifies proofs with) rejects, the sampled recheck counts the mismatch and
// the relay is not mined, so it can never end up in a proof. A relay both accept is counted as
// agreeing and mined.
func TestRingRecheckCatchesALyingVerifier(t *testing.T) {
	f := newFixture(t, recheckAll)
	good, _ := f.serve(f.body(f.request(nil)))
	if good.RelayMinerError != nil {
		t.Fatal(good.RelayMinerError)
	}
	f.settle()
	f.srv.v.verify = func(*ring.Ring, [32]byte, []byte) error { return nil } // accepts anything
	intruder := key("intruder")
	bad, _ := f.serve(f.body(f.signedBy(intruder, intruder, f.gwKey)))
	if bad.RelayMinerError != nil {
		t.Fatalf("the lying verifier should have let the relay through: %+v", bad.RelayMinerError)
	}
	f.drain()
	rc := f.srv.recheck
	if got := counterValue(rc.outcomes[recheckMismatch]); got != 1 {
		t.Fatalf("%v mismatches counted, want 1", got)
	}
	if got := counterValue(rc.outcomes[recheckAgree]); got != 1 {
		t.Fatalf("%v agreements counted, want 1", got)
	}
	if n := len(f.pub.relays()); n != 1 {
		t.Fatalf("%d relays mined, want 1 (the relay ring-go rejects must not be mined)", n)
	}
	if consumed, refunds := f.meter.state(); consumed != 1 || refunds != 1 {
		t.Fatalf("meter consumed %d refunds %d, want 1 and 1", consumed, refunds)
	}
}

// TestRingRecheckOffByDefaultInTests: a zero sample rate never runs ring-go.
func TestRingRecheckOffByDefaultInTests(t *testing.T) {
	f := newFixture(t)
	f.srv.recheck.verify = func([][]byte, [32]byte, []byte) error { t.Error("ring-go ran with sample rate 0"); return nil }
	f.serve(f.body(f.request(nil)))
	f.drain()
}
