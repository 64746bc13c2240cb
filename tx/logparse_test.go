package tx

import "testing"

func TestMessageIndex(t *testing.T) {
	tests := []struct {
		log  string
		want int
	}{
		{"failed to execute message; message index: 0: my svc error: unknown request", 0},
		{"failed to execute message; message index: 1: session ID does not match onchain session ID: invalid session ID", 1},
		{"failed to execute message; message index: 12: spendable balance 10upokt is smaller than 20upokt: insufficient funds", 12},
		{"postHandler: my post handler error: insufficient funds: failed to execute message; message index: 3: my svc error", 3},
		{"failed to create message events; message index: 2: bad event", 2},
		{"rpc error: code = Unknown desc = failed to execute message; message index: 4: claim window closed: invalid request with gas used: '51234'", 4},
		{"account sequence mismatch, expected 5, got 4: incorrect account sequence", -1},
		{"out of gas in location: ReadFlat; gasWanted: 200000, gasUsed: 201000: out of gas", -1},
		{"message index: : nothing", -1},
		{"message index: 99999999999999999999999: overflow", -1},
		{"", -1},
	}
	for _, tt := range tests {
		if got := messageIndex(tt.log); got != tt.want {
			t.Errorf("messageIndex(%q) = %d, want %d", tt.log, got, tt.want)
		}
	}
}

func TestExpectedSequence(t *testing.T) {
	tests := []struct {
		log  string
		want uint64
		ok   bool
	}{
		{"account sequence mismatch, expected 7, got 5: incorrect account sequence", 7, true},
		{"rpc error: code = Unknown desc = account sequence mismatch, expected 0, got 3: incorrect account sequence with gas used: '1000'", 0, true},
		{"incorrect account sequence", 0, false},
		{"account sequence mismatch, expected x, got 5", 0, false},
	}
	for _, tt := range tests {
		got, ok := expectedSequence(tt.log)
		if got != tt.want || ok != tt.ok {
			t.Errorf("expectedSequence(%q) = %d, %v; want %d, %v", tt.log, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzMessageIndex(f *testing.F) {
	f.Add("failed to execute message; message index: 1: x")
	f.Add("account sequence mismatch, expected 7, got 5")
	f.Fuzz(func(t *testing.T, log string) {
		if i := messageIndex(log); i < -1 {
			t.Fatalf("index %d", i)
		}
		expectedSequence(log)
	})
}
