package tx

import (
	"strings"
	"testing"
)

func TestFee(t *testing.T) {
	tests := []struct {
		name        string
		prices      string
		fees        string
		gas         uint64
		want        string
		wantErrText string
	}{
		{name: "zero price pays nothing", prices: "0upokt", gas: 200_000, want: ""},
		{name: "whole price", prices: "1upokt", gas: 200_000, want: "200000upokt"},
		{name: "fraction exact", prices: "0.001upokt", gas: 200_000, want: "200upokt"},
		{name: "fraction rounds up", prices: "0.001upokt", gas: 200_001, want: "201upokt"},
		{name: "tiny price rounds up to 1", prices: "0.000000001upokt", gas: 1, want: "1upokt"},
		{name: "several denoms", prices: "0.5upokt,0.25uusdc", gas: 3, want: "2upokt,1uusdc"},
		{name: "no prices", gas: 100, want: ""},
		{name: "fixed fee wins", prices: "1upokt", fees: "1000upokt", gas: 5_000_000, want: "1000upokt"},
		{name: "huge gas", prices: "0.1upokt", gas: 1<<64 - 1, want: "1844674407370955162upokt"},
		{name: "bad price", prices: "upokt", wantErrText: "tx.gas_prices"},
		{name: "bad fee", fees: "1.5.upokt", wantErrText: "tx.fees"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parseFeePolicy(tt.prices, tt.fees)
			if tt.wantErrText != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrText) {
					t.Fatalf("error %v, want one naming %q", err, tt.wantErrText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := p.fee(tt.gas).String(); got != tt.want {
				t.Fatalf("fee(%d) = %q, want %q", tt.gas, got, tt.want)
			}
		})
	}
}

func TestAdjustGas(t *testing.T) {
	tests := []struct {
		sim  uint64
		adj  float64
		want uint64
	}{
		{100_000, 1, 100_000},
		{100_000, 1.5, 150_000},
		{100_001, 1.5, 150_002}, // 150001.5 rounds up
		{3, 1.1, 4},
		{0, 2, 0},
	}
	for _, tt := range tests {
		if got := adjustGas(tt.sim, tt.adj); got != tt.want {
			t.Errorf("adjustGas(%d, %v) = %d, want %d", tt.sim, tt.adj, got, tt.want)
		}
	}
}
