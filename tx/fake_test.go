package tx

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/bech32"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shannon-ops/pocket-relay-miner/config"
	"github.com/shannon-ops/pocket-relay-miner/query"
)

// testSigner is a Signer over a fresh secp256k1 key.
type testSigner struct {
	priv *secp256k1.PrivKey
	addr string
}

func newTestSigner(t *testing.T) *testSigner {
	t.Helper()
	priv := secp256k1.GenPrivKey()
	addr, err := bech32.ConvertAndEncode("pokt", priv.PubKey().Address())
	if err != nil {
		t.Fatal(err)
	}
	return &testSigner{priv: priv, addr: addr}
}

func (s *testSigner) Address() string                 { return s.addr }
func (s *testSigner) PubKey() cryptotypes.PubKey      { return s.priv.PubKey() }
func (s *testSigner) Sign(msg []byte) ([]byte, error) { return s.priv.Sign(msg) }

// send is a distinguishable message: a MsgSend of amount upokt to to.
func send(from, to string, amount int64) sdk.Msg {
	return &banktypes.MsgSend{FromAddress: from, ToAddress: to, Amount: sdk.NewCoins(sdk.NewInt64Coin("upokt", amount))}
}

// fakeTx is what the fake chain reads from tx bytes.
type fakeTx struct {
	hash     string
	sequence uint64
	gas      uint64
	fee      sdk.Coins
	timeout  int64
	msgs     []*banktypes.MsgSend
	signed   bool
}

func decodeFake(bz []byte) (fakeTx, error) {
	var raw txtypes.TxRaw
	if err := raw.Unmarshal(bz); err != nil {
		return fakeTx{}, err
	}
	var body txtypes.TxBody
	var auth txtypes.AuthInfo
	if err := body.Unmarshal(raw.BodyBytes); err != nil {
		return fakeTx{}, err
	}
	if err := auth.Unmarshal(raw.AuthInfoBytes); err != nil {
		return fakeTx{}, err
	}
	ft := fakeTx{
		hash: txHash(bz), sequence: auth.SignerInfos[0].Sequence, gas: auth.Fee.GasLimit, fee: auth.Fee.Amount,
		timeout: int64(body.TimeoutHeight), signed: len(raw.Signatures) == 1 && len(raw.Signatures[0]) == 64,
	}
	for _, a := range body.Messages {
		var m banktypes.MsgSend
		if err := m.Unmarshal(a.Value); err != nil {
			return fakeTx{}, err
		}
		ft.msgs = append(ft.msgs, &m)
	}
	return ft, nil
}

// fakeChain is a one-signer chain with an instant block per accepted tx. Messages whose
// recipient is in bad fail at delivery (or at simulation, with simulateRuns).
type fakeChain struct {
	mu           sync.Mutex
	seq          uint64 // the sequence CheckTx expects next
	committedSeq uint64 // what the account query answers (may lag seq)
	height       int64
	bad          map[string]bool
	simulateRuns bool   // Simulate runs the messages (fails on bad ones)
	simGas       uint64 // gas Simulate reports
	noExpected   bool   // sequence mismatch logs without "expected N"
	lose         bool   // accepted txs are never included; the chain moves past them
	hold         bool   // accepted txs wait in the mempool (held) until includeHeld
	unavailable  int    // this many next broadcasts fail in transport (after reaching the node when delivered)
	delivered    bool   // with unavailable: the lost-answer broadcast was in fact taken
	mempoolFull  int    // this many next broadcasts answer mempool full
	// cancel, when set, is called by the next broadcast after the node took the tx: the
	// caller's context ends before the answer arrives.
	cancel context.CancelFunc

	broadcasts []fakeTx
	held       []fakeTx
	results    map[string]Result
	accountErr error
}

func newFakeChain() *fakeChain {
	return &fakeChain{bad: map[string]bool{}, simGas: 100_000, results: map[string]Result{}, height: 10}
}

func (f *fakeChain) Account(_ context.Context, addr string) (query.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.accountErr != nil {
		return query.Account{}, f.accountErr
	}
	return query.Account{Address: addr, AccountNumber: 42, Sequence: f.committedSeq}, nil
}

func (f *fakeChain) Simulate(_ context.Context, bz []byte) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ft, err := decodeFake(bz)
	if err != nil {
		return 0, err
	}
	if ft.sequence != f.seq {
		return 0, newChainError(StageSimulate, 0, "", f.mismatch(ft.sequence)+" with gas used: '1000'", "", 0)
	}
	if f.simulateRuns {
		if i := f.badIndex(ft); i >= 0 {
			return 0, newChainError(StageSimulate, 0, "", fmt.Sprintf("failed to execute message; message index: %d: recipient refused: invalid request with gas used: '5000'", i), "", 0)
		}
	}
	return f.simGas, nil
}

func (f *fakeChain) mismatch(got uint64) string {
	if f.noExpected {
		return "sequence mismatch: incorrect account sequence"
	}
	return fmt.Sprintf("account sequence mismatch, expected %d, got %d: incorrect account sequence", f.seq, got)
}

func (f *fakeChain) badIndex(ft fakeTx) int {
	for i, m := range ft.msgs {
		if f.bad[m.ToAddress] {
			return i
		}
	}
	return -1
}

func (f *fakeChain) BroadcastSync(ctx context.Context, bz []byte) (CheckTx, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ft, err := decodeFake(bz)
	if err != nil {
		return CheckTx{}, err
	}
	if _, dup := f.results[ft.hash]; dup {
		return CheckTx{Hash: ft.hash, Code: codeTxInMempoolCache, Codespace: codespaceSDK, Log: "tx already in mempool"}, nil
	}
	if f.cancel != nil {
		f.accept(ft)
		f.cancel()
		f.cancel = nil
		return CheckTx{}, fmt.Errorf("broadcast: %w", ctx.Err())
	}
	if f.unavailable > 0 {
		f.unavailable--
		if f.delivered {
			f.accept(ft)
		}
		return CheckTx{}, fmt.Errorf("broadcast: %w: connection refused", ErrUnavailable)
	}
	if f.mempoolFull > 0 {
		f.mempoolFull--
		return CheckTx{Hash: ft.hash, Code: codeMempoolIsFull, Codespace: codespaceSDK, Log: "mempool is full"}, nil
	}
	if !ft.signed {
		return CheckTx{Hash: ft.hash, Code: 4, Codespace: codespaceSDK, Log: "signature verification failed: unauthorized"}, nil
	}
	if ft.timeout > 0 && f.height+1 > ft.timeout {
		return CheckTx{Hash: ft.hash, Code: codeTxTimeoutHeight, Codespace: codespaceSDK,
			Log: fmt.Sprintf("block height: %d, timeout height: %d: tx timeout height", f.height+1, ft.timeout)}, nil
	}
	if ft.sequence != f.seq {
		return CheckTx{Hash: ft.hash, Code: codeWrongSequence, Codespace: codespaceSDK, Log: f.mismatch(ft.sequence)}, nil
	}
	f.accept(ft)
	return CheckTx{Hash: ft.hash}, nil
}

// accept puts ft into the next block, unless lose is set. The caller holds f.mu.
func (f *fakeChain) accept(ft fakeTx) {
	f.broadcasts = append(f.broadcasts, ft)
	if f.lose {
		f.height += 5 // the chain moves on without it, and forgets its sequence
		return
	}
	if f.hold {
		f.seq++ // CheckTx advanced the mempool's sequence; the block has not come yet
		f.held = append(f.held, ft)
		return
	}
	f.include(ft)
}

// includeHeld puts the held txs into the next block.
func (f *fakeChain) includeHeld() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ft := range f.held {
		f.include(ft)
	}
	f.held = nil
}

// include puts ft into the next block. The caller holds f.mu.
func (f *fakeChain) include(ft fakeTx) {
	if !f.hold {
		f.seq++
	}
	f.committedSeq = f.seq
	f.height++
	r := Result{Hash: ft.hash, Height: f.height, GasWanted: int64(ft.gas), GasUsed: int64(ft.gas) / 2}
	if i := f.badIndex(ft); i >= 0 {
		r.Code, r.Codespace = 18, "sdk"
		r.Log = fmt.Sprintf("failed to execute message; message index: %d: recipient refused: invalid request", i)
	}
	f.results[ft.hash] = r
}

func (f *fakeChain) GetTx(_ context.Context, hash string) (Result, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.results[hash]
	return r, ok, nil
}

func (f *fakeChain) LatestHeight(context.Context) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.height, nil
}

// newTestClient is a Client on f with fast polls and backoff, and its registry.
func newTestClient(t *testing.T, f *fakeChain, cfg config.Tx) (*Client, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	c, err := New(cfg, f, f, reg, WithPollInterval(time.Millisecond), WithBackoff(time.Millisecond, 2*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return c, reg
}
