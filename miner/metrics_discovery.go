package miner

import (
	"errors"
	"math/big"

	sdkmath "cosmossdk.io/math"
	"github.com/prometheus/client_golang/prometheus"
)

// upokt is the denom of stakes, balances and fees.
const upokt = "upokt"

// discoveryMetrics are the per-supplier account gauges discovery refreshes once per round
// (sessions.supplier_recheck), never per relay.
type discoveryMetrics struct {
	balanceG *prometheus.GaugeVec // supplier
	stakeG   *prometheus.GaugeVec // supplier
}

func newDiscoveryMetrics(reg prometheus.Registerer) (*discoveryMetrics, error) {
	m := &discoveryMetrics{
		balanceG: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "relayminer", Subsystem: "miner",
			Name: "operator_balance_upokt", Help: "Spendable upokt of the supplier's operator account, which pays claim and proof fees; refreshed every supplier recheck."},
			[]string{"supplier"}),
		stakeG: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "relayminer", Subsystem: "miner",
			Name: "supplier_stake_upokt", Help: "The supplier's stake on chain in upokt; refreshed every supplier recheck."},
			[]string{"supplier"}),
	}
	for _, c := range []prometheus.Collector{m.balanceG, m.stakeG} {
		if err := reg.Register(c); err != nil {
			return nil, errors.Join(errors.New("register discovery metrics"), err)
		}
	}
	return m, nil
}

func (m *discoveryMetrics) balance(supplier string, amt sdkmath.Int) {
	m.balanceG.WithLabelValues(supplier).Set(intFloat(amt))
}

func (m *discoveryMetrics) stake(supplier string, amt sdkmath.Int) {
	m.stakeG.WithLabelValues(supplier).Set(intFloat(amt))
}

// forget drops the gauges of a supplier no longer mined.
func (m *discoveryMetrics) forget(supplier string) {
	m.balanceG.DeleteLabelValues(supplier)
	m.stakeG.DeleteLabelValues(supplier)
}

// intFloat converts an amount for a gauge (exact up to 2^53 upokt, far above any supply).
func intFloat(i sdkmath.Int) float64 {
	if i.IsNil() {
		return 0
	}
	f, _ := new(big.Float).SetInt(i.BigInt()).Float64()
	return f
}
