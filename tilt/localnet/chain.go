package localnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

func newHTTPClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
}

// getJSON GETs base+path and decodes the body into out. A non-2xx status is an error that
// carries the body.
func (l *Localnet) getJSON(ctx context.Context, base, path string, header http.Header, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		return err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := l.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, strings.TrimSpace(string(b)))
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	return nil
}

// rpcError is a CometBFT JSON-RPC error.
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    string `json:"data"`
}

func (e *rpcError) Error() string {
	return fmt.Sprintf("rpc error %d: %s: %s", e.Code, e.Message, e.Data)
}

// cometRPC calls a CometBFT RPC endpoint over HTTP GET and decodes "result" into out.
func (l *Localnet) cometRPC(ctx context.Context, path string, out any) error {
	var env struct {
		Result json.RawMessage `json:"result"`
		Error  *rpcError       `json:"error"`
	}
	if err := l.getJSON(ctx, l.RPCURL, path, nil, &env); err != nil {
		return err
	}
	if env.Error != nil {
		return env.Error
	}
	return json.Unmarshal(env.Result, out)
}

// Height returns the latest committed block height.
func (l *Localnet) Height(ctx context.Context) (int64, error) {
	var st struct {
		SyncInfo struct {
			LatestBlockHeight string `json:"latest_block_height"`
		} `json:"sync_info"`
	}
	if err := l.cometRPC(ctx, "/status", &st); err != nil {
		return 0, err
	}
	return strconv.ParseInt(st.SyncInfo.LatestBlockHeight, 10, 64)
}

// WaitHeight waits until the chain has committed block h and returns the latest height.
func (l *Localnet) WaitHeight(ctx context.Context, h int64) (int64, error) {
	var cur int64
	err := poll(ctx, "height "+strconv.FormatInt(h, 10), 250*time.Millisecond, func(ctx context.Context) (bool, error) {
		var err error
		cur, err = l.Height(ctx)
		return err == nil && cur >= h, err
	})
	return cur, err
}

// TxResult is the outcome of an included tx.
type TxResult struct {
	Hash   string `json:"hash"`
	Height int64  `json:"height"`
	Code   uint32 `json:"code"`
	Log    string `json:"log"`
}

// WaitTx polls the CometBFT RPC until the tx with hash (hex) is included; a non-zero code is an
// error that carries the log.
func (l *Localnet) WaitTx(ctx context.Context, hash string) (TxResult, error) {
	res := TxResult{Hash: hash}
	err := poll(ctx, "tx "+hash, 250*time.Millisecond, func(ctx context.Context) (bool, error) {
		var tx struct {
			Height   string `json:"height"`
			TxResult struct {
				Code uint32 `json:"code"`
				Log  string `json:"log"`
			} `json:"tx_result"`
		}
		err := l.cometRPC(ctx, "/tx?hash=0x"+hash, &tx)
		var re *rpcError
		if errors.As(err, &re) && strings.Contains(re.Data, "not found") {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		res.Height, _ = strconv.ParseInt(tx.Height, 10, 64)
		res.Code, res.Log = tx.TxResult.Code, tx.TxResult.Log
		return true, nil
	})
	if err == nil && res.Code != 0 {
		err = fmt.Errorf("tx %s failed with code %d: %s", hash, res.Code, res.Log)
	}
	return res, err
}

// SessionInfo is the part of a session the harness needs.
type SessionInfo struct {
	ID          string   `json:"session_id"`
	StartHeight int64    `json:"start_height"`
	EndHeight   int64    `json:"end_height"`
	Suppliers   []string `json:"suppliers"` // operator addresses
}

// GetSession asks the chain (REST) for app's session for service at height.
func (l *Localnet) GetSession(ctx context.Context, app, service string, height int64) (SessionInfo, error) {
	var r struct {
		Session struct {
			Header struct {
				SessionID   string `json:"session_id"`
				StartHeight string `json:"session_start_block_height"`
				EndHeight   string `json:"session_end_block_height"`
			} `json:"header"`
			Suppliers []struct {
				OperatorAddress string `json:"operator_address"`
			} `json:"suppliers"`
		} `json:"session"`
	}
	q := url.Values{"application_address": {app}, "service_id": {service}, "block_height": {strconv.FormatInt(height, 10)}}
	// CometBFT reports a block a moment before the app's query state has it, and the session
	// query refuses that height meanwhile: retry that refusal only, for a few block times.
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := poll(wctx, "session at height "+strconv.FormatInt(height, 10), 200*time.Millisecond, func(ctx context.Context) (bool, error) {
		err := l.getJSON(ctx, l.APIURL, "/pokt-network/poktroll/session/get_session?"+q.Encode(), nil, &r)
		if err != nil && strings.Contains(err.Error(), "ahead of the last committed block height") {
			return false, err
		}
		return true, err
	})
	if err != nil {
		return SessionInfo{}, err
	}
	s := SessionInfo{ID: r.Session.Header.SessionID}
	s.StartHeight, _ = strconv.ParseInt(r.Session.Header.StartHeight, 10, 64)
	s.EndHeight, _ = strconv.ParseInt(r.Session.Header.EndHeight, 10, 64)
	for _, sup := range r.Session.Suppliers {
		s.Suppliers = append(s.Suppliers, sup.OperatorAddress)
	}
	return s, nil
}

// CurrentSession returns app's session for service at the latest height.
func (l *Localnet) CurrentSession(ctx context.Context, app, service string) (SessionInfo, error) {
	h, err := l.Height(ctx)
	if err != nil {
		return SessionInfo{}, err
	}
	return l.GetSession(ctx, app, service, h)
}

// WaitSupplierInSession waits until supplier is listed in app's current session for service
// (service configs activate at the next session start) and returns that session.
func (l *Localnet) WaitSupplierInSession(ctx context.Context, app, service, supplier string) (SessionInfo, error) {
	var s SessionInfo
	err := poll(ctx, supplier+" in the session of "+app, 500*time.Millisecond, func(ctx context.Context) (bool, error) {
		var err error
		if s, err = l.CurrentSession(ctx, app, service); err != nil {
			return false, err
		}
		for _, op := range s.Suppliers {
			if op == supplier {
				return true, nil
			}
		}
		return false, nil
	})
	return s, err
}

// Balance returns addr's upokt balance at the latest height.
func (l *Localnet) Balance(ctx context.Context, addr string) (uint64, error) {
	return l.BalanceAt(ctx, addr, 0)
}

// BalanceAt returns addr's upokt balance at height (0 = latest; pruning is off, so every
// height can be queried).
func (l *Localnet) BalanceAt(ctx context.Context, addr string, height int64) (uint64, error) {
	var r struct {
		Balance struct {
			Amount string `json:"amount"`
		} `json:"balance"`
	}
	var h http.Header
	if height > 0 {
		h = http.Header{"X-Cosmos-Block-Height": {strconv.FormatInt(height, 10)}}
	}
	if err := l.getJSON(ctx, l.APIURL, "/cosmos/bank/v1beta1/balances/"+addr+"/by_denom?denom=upokt", h, &r); err != nil {
		return 0, fmt.Errorf("balance of %s: %w", addr, err)
	}
	return strconv.ParseUint(r.Balance.Amount, 10, 64)
}

// SupplierInfo is a supplier as the chain stores it.
type SupplierInfo struct {
	OperatorAddress string     `json:"operator_address"`
	OwnerAddress    string     `json:"owner_address"`
	Endpoints       []Endpoint `json:"endpoints"` // flattened over services, in chain order
}

// Supplier reads a supplier's stake configuration (REST).
func (l *Localnet) Supplier(ctx context.Context, operator string) (SupplierInfo, error) {
	var r struct {
		Supplier struct {
			OperatorAddress string `json:"operator_address"`
			OwnerAddress    string `json:"owner_address"`
			Services        []struct {
				ServiceID string `json:"service_id"`
				Endpoints []struct {
					URL     string `json:"url"`
					RPCType string `json:"rpc_type"`
				} `json:"endpoints"`
			} `json:"services"`
		} `json:"supplier"`
	}
	if err := l.getJSON(ctx, l.APIURL, "/pokt-network/poktroll/supplier/supplier/"+operator, nil, &r); err != nil {
		return SupplierInfo{}, fmt.Errorf("supplier %s: %w", operator, err)
	}
	s := SupplierInfo{OperatorAddress: r.Supplier.OperatorAddress, OwnerAddress: r.Supplier.OwnerAddress}
	for _, svc := range r.Supplier.Services {
		for _, e := range svc.Endpoints {
			s.Endpoints = append(s.Endpoints, Endpoint{ServiceID: svc.ServiceID, RPCType: e.RPCType, URL: e.URL})
		}
	}
	return s, nil
}

// ApplicationStake returns app's staked upokt (REST).
func (l *Localnet) ApplicationStake(ctx context.Context, app string) (uint64, error) {
	var r struct {
		Application struct {
			Stake struct {
				Amount string `json:"amount"`
			} `json:"stake"`
		} `json:"application"`
	}
	if err := l.getJSON(ctx, l.APIURL, "/pokt-network/poktroll/application/application/"+app, nil, &r); err != nil {
		return 0, fmt.Errorf("application %s: %w", app, err)
	}
	return strconv.ParseUint(r.Application.Stake.Amount, 10, 64)
}
