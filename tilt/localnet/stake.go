package localnet

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"golang.org/x/sync/errgroup"
)

// Stakes, in upokt.
const (
	gatewayStake  = "100000000upokt"  // 100 POKT
	supplierStake = "1000000000upokt" // 1,000 POKT
)

// SendTx broadcasts `pocketd tx <args…>` signed by the key from, and waits for its inclusion.
func (l *Localnet) SendTx(ctx context.Context, from string, args ...string) (TxResult, error) {
	full := append(append([]string{"tx"}, args...),
		"--from", from, "--chain-id", l.ChainID, "--node", l.NodeRPC, "--yes", "--output", "json",
		"--gas", "auto", "--gas-adjustment", "1.5", "--gas-prices", l.Chain.GasPrice)
	full = append(full, keyringFlags...)
	// A signer's previous tx is reported included a moment before the app's query state has
	// it, and the CLI reads the account sequence from that state: retry that refusal only,
	// whether the CLI fails with it or reports it as the tx's CheckTx code.
	var (
		out []byte
		r   struct {
			TxHash string `json:"txhash"`
			Code   uint32 `json:"code"`
			RawLog string `json:"raw_log"`
		}
	)
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := poll(wctx, "tx "+args[0]+" from "+from, 300*time.Millisecond, func(context.Context) (bool, error) {
		var err error
		out, err = l.Pocketd(ctx, full...)
		if err != nil && strings.Contains(err.Error(), "account sequence mismatch") {
			return false, err
		}
		if err != nil {
			return true, err
		}
		if jerr := json.Unmarshal(lastJSONLine(out), &r); jerr == nil && r.Code == sdkerrors.ErrWrongSequence.ABCICode() {
			return false, fmt.Errorf("tx %s: %s", args[0], r.RawLog)
		}
		return true, nil
	})
	if err != nil {
		return TxResult{}, err
	}
	if err := json.Unmarshal(lastJSONLine(out), &r); err != nil || r.TxHash == "" {
		return TxResult{}, fmt.Errorf("tx %s: no tx hash in %q", args[0], out)
	}
	if r.Code != 0 {
		return TxResult{}, fmt.Errorf("tx %s %s rejected with code %d: %s", args[0], args[1], r.Code, r.RawLog)
	}
	return l.WaitTx(ctx, r.TxHash)
}

// stakeAll creates the services, then stakes the gateway; then the application (delegated to
// the gateway) and the supplier. Txs of different signers go out together.
func (l *Localnet) stakeAll(ctx context.Context) error {
	services := []string{l.ServiceID}
	for _, e := range l.Endpoints {
		if !contains(services, e.ServiceID) {
			services = append(services, e.ServiceID)
		}
	}
	a := l.Accounts
	gw, err := l.writeFile("gateway_stake.yaml", "stake_amount: "+gatewayStake+"\n")
	if err != nil {
		return err
	}
	app, err := l.writeFile("application_stake.yaml", fmt.Sprintf(
		"stake_amount: %dupokt\nservice_ids:\n  - %q\ngateway_addresses:\n  - %q\n", l.Chain.withDefaults().ApplicationStake, l.ServiceID, a.Gateway.Address))
	if err != nil {
		return err
	}
	sup, err := l.writeFile("supplier_stake.yaml", l.supplierStakeYAML())
	if err != nil {
		return err
	}

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		for _, id := range services { // one signer: one tx at a time
			if _, err := l.SendTx(gctx, a.ServiceOwner.Name, "service", "add-service", id, id, strconv.FormatUint(l.ComputeUnitsPerRelay, 10)); err != nil {
				return err
			}
			l.logf("service %q added by %s", id, a.ServiceOwner.Name)
		}
		return nil
	})
	g.Go(func() error {
		_, err := l.SendTx(gctx, a.Gateway.Name, "gateway", "stake-gateway", "--config", gw)
		if err == nil {
			l.logf("gateway %s staked", a.Gateway.Address)
		}
		return err
	})
	if err := g.Wait(); err != nil {
		return err
	}
	g, gctx = errgroup.WithContext(ctx)
	g.Go(func() error {
		_, err := l.SendTx(gctx, a.Application.Name, "application", "stake-and-delegate", "--config", app)
		if err == nil {
			l.logf("application %s staked for %q and delegated to %s", a.Application.Address, l.ServiceID, a.Gateway.Name)
		}
		return err
	})
	g.Go(func() error {
		_, err := l.SendTx(gctx, a.Supplier.Name, "supplier", "stake-supplier", "--config", sup)
		if err == nil {
			l.logf("supplier %s staked with %d endpoint(s)", a.Supplier.Address, len(l.Endpoints))
		}
		return err
	})
	return g.Wait()
}

// supplierStakeYAML is supplier1's stake config: operator = owner, Options.Endpoints.
func (l *Localnet) supplierStakeYAML() string {
	addr := l.Accounts.Supplier.Address
	return supplierStakeYAML(addr, addr, true, l.Endpoints)
}

func (l *Localnet) writeFile(name, content string) (string, error) {
	path := filepath.Join(l.Dir, "config", name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	return path, os.WriteFile(path, []byte(content), 0o644)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
