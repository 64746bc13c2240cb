package localnet

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// DefaultBlockTime is the block interval of the fast test chain.
const DefaultBlockTime = time.Second

// DefaultGasPrice is the fast chain's gas price: txs are free.
const DefaultGasPrice = "0upokt"

// Chain holds the knobs that make the local chain behave like mainnet. Each zero value keeps
// the fast, free test chain, so existing callers are unaffected.
type Chain struct {
	// BlockTime is the interval between blocks (config.toml timeout_propose and
	// timeout_commit). Default DefaultBlockTime (1s); at least 100ms.
	BlockTime time.Duration `json:"block_time"`
	// GasPrice is the node's minimum-gas-prices and the price every harness tx pays, such as
	// "0.001upokt". Default DefaultGasPrice ("0upokt"). A miner on this chain must set its
	// tx.gas_prices to at least this value or its txs are refused by the mempool.
	GasPrice string `json:"gas_price"`
	// ProofSubmissionFee is x/proof's proof_submission_fee in upokt, paid by the supplier
	// operator with every MsgSubmitProof. Default 0.
	ProofSubmissionFee uint64 `json:"proof_submission_fee_upokt"`
	// TargetNumRelays is x/service's target_num_relays. Once the relays settled per block for
	// a service exceed it (their EMA, updated at each settlement), the service's relay mining
	// difficulty rises above base from the next session on: only about target/EMA of the
	// relays are mined and each mined relay is paid as EMA/target relays. 0 keeps poktroll's
	// default (100000), at which every relay of a test is mined.
	TargetNumRelays uint64 `json:"target_num_relays,omitempty"`
	// PoorOperatorBalance is the genesis balance, in upokt, of supplier3 (see
	// Accounts.PoorOperator), an operator whose balance can run out. 0 funds it like every
	// other account (1,000,000 POKT).
	PoorOperatorBalance uint64 `json:"poor_operator_balance_upokt,omitempty"`
	// ApplicationStake is app1's stake in upokt. Default 1,000 POKT. The relay meter's budget
	// per supplier and session is stake / num_suppliers_per_session / pending sessions.
	ApplicationStake uint64 `json:"application_stake_upokt,omitempty"`
	// NumSuppliersPerSession is x/session's num_suppliers_per_session. 0 keeps poktroll's
	// default (15). The meter divides the app's stake by it, while settlement divides by the
	// suppliers that actually claimed: their ratio is how far a supplier may overserve before
	// the chain reports EventApplicationOverserviced.
	NumSuppliersPerSession uint64 `json:"num_suppliers_per_session,omitempty"`
}

// upoktPrice is a gas price in upokt: a non-negative decimal amount.
var upoktPrice = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?upokt$`)

// defaultApplicationStake is app1's stake when Chain.ApplicationStake is 0 (1,000 POKT).
const defaultApplicationStake = 1_000_000_000

func (c Chain) withDefaults() Chain {
	if c.ApplicationStake == 0 {
		c.ApplicationStake = defaultApplicationStake
	}
	if c.BlockTime == 0 {
		c.BlockTime = DefaultBlockTime
	}
	if c.GasPrice == "" {
		c.GasPrice = DefaultGasPrice
	}
	return c
}

// Validate checks the knobs after defaults; each error names its field.
func (c Chain) Validate() error {
	var errs []error
	if c.BlockTime < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("block_time: must be at least 100ms, got %s", c.BlockTime))
	}
	if !upoktPrice.MatchString(c.GasPrice) {
		errs = append(errs, fmt.Errorf("gas_price: want a decimal amount of upokt such as 0.001upokt, got %q", c.GasPrice))
	}
	if c.PoorOperatorBalance != 0 && c.PoorOperatorBalance < minPoorOperatorBalance {
		// Below this the operator cannot even publish its public key, so it could never sign.
		errs = append(errs, fmt.Errorf("poor_operator_balance_upokt: must be 0 or at least %d, got %d", minPoorOperatorBalance, c.PoorOperatorBalance))
	}
	if c.ApplicationStake >= genesisBalanceUpokt {
		errs = append(errs, fmt.Errorf("application_stake_upokt: must be below app1's genesis balance %d, got %d", uint64(genesisBalanceUpokt), c.ApplicationStake))
	}
	return errors.Join(errs...)
}

// minPoorOperatorBalance leaves the poor operator enough for the one tx that puts its public
// key on chain at a gas price of up to 0.01upokt (~100k gas).
const minPoorOperatorBalance = 1000

// genesisAmount is the genesis balance of acct.
func (c Chain) genesisAmount(a Account, poor Account) string {
	if c.PoorOperatorBalance != 0 && a.Name == poor.Name {
		return fmt.Sprintf("%dupokt", c.PoorOperatorBalance)
	}
	return genesisBalance
}
