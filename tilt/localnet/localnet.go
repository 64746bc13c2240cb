package localnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// StateFile is the name of the file, under Dir, that describes a running stack.
const StateFile = "localnet.json"

// Localnet is a running stack: where everything listens, the keys, and the processes.
// It is saved as JSON in Dir/localnet.json, which Load reads back.
type Localnet struct {
	// Dir is the stack's directory; Home is the pocketd home inside it (config, keyring, data).
	Dir  string `json:"dir"`
	Home string `json:"home"`
	// PocketdPath is the binary every pocketd command runs.
	PocketdPath string `json:"pocketd"`
	ChainID     string `json:"chain_id"`
	Ports       Ports  `json:"ports"`

	// NodeRPC is the CometBFT RPC in the tcp:// form pocketd's --node flag takes; RPCURL is
	// the same over http://.
	NodeRPC string `json:"node_rpc"`
	RPCURL  string `json:"rpc_url"`
	// GRPCAddr is the Cosmos gRPC host:port (plaintext).
	GRPCAddr string `json:"grpc_addr"`
	// APIURL is the Cosmos REST API.
	APIURL string `json:"api_url"`
	// RedisURL, BackendURL and RelayMinerURL are empty when not started.
	RedisURL      string `json:"redis_url,omitempty"`
	BackendURL    string `json:"backend_url,omitempty"`
	RelayMinerURL string `json:"relay_miner_url,omitempty"`

	// Chain is the mainnet-like knobs the chain runs with (Options.Chain after defaults).
	Chain                Chain      `json:"chain"`
	ServiceID            string     `json:"service_id"`
	ComputeUnitsPerRelay uint64     `json:"compute_units_per_relay"`
	Endpoints            []Endpoint `json:"endpoints"`
	Session              Session    `json:"session"`
	// SessionHistory lists the session param changes made by UpdateSessionParams, oldest first.
	SessionHistory []SessionEpoch `json:"session_history,omitempty"`
	Accounts       Accounts       `json:"accounts"`
	Procs          []*Proc        `json:"processes"`
	// Ours is our relayer and miner when StartOurs ran.
	Ours *Ours `json:"ours,omitempty"`

	log      io.Writer
	detach   bool
	http     *http.Client
	repoRoot string
}

// Up brings up the stack described by opts and returns once supplier1 is in app1's session.
// On error it stops whatever it started. The caller stops the stack with Down.
func Up(ctx context.Context, opts Options) (*Localnet, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if prev, err := Load(o.Dir); err == nil {
		for _, p := range prev.Procs {
			if p.running() {
				return nil, fmt.Errorf("localnet: %s (pid %d) from a previous run still runs in %s: run down first", p.Name, p.PID, o.Dir)
			}
		}
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	l := &Localnet{
		Dir: dir, Home: filepath.Join(dir, "pocketd"), ChainID: o.ChainID, Ports: o.Ports,
		ServiceID: o.ServiceID, ComputeUnitsPerRelay: o.ComputeUnitsPerRelay, Session: o.Session, Chain: o.Chain,
		Accounts: WellKnownAccounts(), log: o.Log, detach: o.Detach, http: newHTTPClient(),
	}
	if err := l.up(ctx, o); err != nil {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		return nil, errors.Join(err, l.Down(dctx))
	}
	return l, nil
}

func (l *Localnet) up(ctx context.Context, o Options) error {
	start := time.Now()
	if err := l.resolveBinaries(ctx, o); err != nil {
		return err
	}
	if err := assignPorts(&l.Ports); err != nil {
		return err
	}
	l.setURLs()
	l.Endpoints = o.Endpoints
	if len(l.Endpoints) == 0 {
		l.Endpoints = []Endpoint{{ServiceID: l.ServiceID, RPCType: RPCTypeJSONRPC, URL: "http://127.0.0.1:" + strconv.Itoa(l.Ports.RelayMiner)}}
	}
	for _, e := range l.Endpoints {
		if err := e.validate(); err != nil {
			return fmt.Errorf("localnet: %w", err)
		}
	}
	if err := os.RemoveAll(l.Home); err != nil {
		return err
	}
	for _, d := range []string{"pids", "logs", "relayminer"} {
		if err := os.RemoveAll(filepath.Join(l.Dir, d)); err != nil {
			return err
		}
	}
	if err := l.save(); err != nil {
		return err
	}
	l.logf("initialising chain %q in %s", l.ChainID, l.Home)
	if err := l.initChain(ctx); err != nil {
		return err
	}
	l.logf("starting pocketd (rpc %s, grpc %s, api %s)", l.RPCURL, l.GRPCAddr, l.APIURL)
	if err := l.startNode(ctx); err != nil {
		return err
	}
	l.logf("staking service %q, gateway, application and supplier", l.ServiceID)
	if err := l.stakeAll(ctx); err != nil {
		return err
	}
	if o.Redis {
		if err := l.startRedis(ctx); err != nil {
			return err
		}
	}
	if o.Backend {
		if err := l.startBackend(ctx); err != nil {
			return err
		}
	}
	if o.RelayMiner {
		if err := l.StartRelayMiner(ctx); err != nil {
			return err
		}
	}
	l.logf("waiting for %s to join %s's session for %q", l.Accounts.Supplier.Name, l.Accounts.Application.Name, l.ServiceID)
	if _, err := l.WaitSupplierInSession(ctx, l.Accounts.Application.Address, l.ServiceID, l.Accounts.Supplier.Address); err != nil {
		return err
	}
	l.logf("up in %s", time.Since(start).Round(100*time.Millisecond))
	return l.save()
}

func (l *Localnet) resolveBinaries(ctx context.Context, o Options) error {
	l.PocketdPath = o.Pocketd
	if l.PocketdPath != "" && o.RepoRoot == "" && !o.Backend {
		return nil
	}
	root := o.RepoRoot
	if root == "" {
		var err error
		if root, err = RepoRoot(ctx); err != nil {
			return err
		}
	}
	if l.PocketdPath == "" {
		l.logf("ensuring bin/pocketd (make pocketd; a cold build takes ~3 minutes)")
		bin, err := EnsurePocketd(ctx, root, l.log)
		if err != nil {
			return err
		}
		l.PocketdPath = bin
	}
	if o.Backend {
		l.logf("building bin/backend-server")
		if _, err := EnsureBackendServer(ctx, root); err != nil {
			return err
		}
	}
	l.repoRoot = root
	return nil
}

func (l *Localnet) setURLs() {
	p := l.Ports
	l.NodeRPC = "tcp://127.0.0.1:" + strconv.Itoa(p.RPC)
	l.RPCURL = "http://127.0.0.1:" + strconv.Itoa(p.RPC)
	l.GRPCAddr = "127.0.0.1:" + strconv.Itoa(p.GRPC)
	l.APIURL = "http://127.0.0.1:" + strconv.Itoa(p.API)
}

// save writes the state file.
func (l *Localnet) save() error {
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(l.Dir, StateFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(l.Dir, StateFile))
}

// Load reads the state of a stack brought up in dir (by this or another process).
func Load(dir string) (*Localnet, error) {
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		return nil, fmt.Errorf("localnet: read state: %w", err)
	}
	l := &Localnet{http: newHTTPClient()}
	if err := json.Unmarshal(b, l); err != nil {
		return nil, fmt.Errorf("localnet: parse %s: %w", StateFile, err)
	}
	l.Accounts = mergeMnemonics(l.Accounts)
	return l, nil
}

func mergeMnemonics(a Accounts) Accounts {
	w := WellKnownAccounts()
	a.Validator.Mnemonic, a.ServiceOwner.Mnemonic = w.Validator.Mnemonic, w.ServiceOwner.Mnemonic
	a.Gateway.Mnemonic, a.Application.Mnemonic, a.Supplier.Mnemonic = w.Gateway.Mnemonic, w.Application.Mnemonic, w.Supplier.Mnemonic
	a.Supplier2.Mnemonic, a.PoorOperator.Mnemonic = w.Supplier2.Mnemonic, w.PoorOperator.Mnemonic
	return a
}

// SetLog sets where progress lines go (nil silences them).
func (l *Localnet) SetLog(w io.Writer) { l.log = w }

// Down stops every process the stack started, newest first, and waits until their listeners
// are closed. Processes whose PID now runs another binary are left alone. The chain data stays
// in Dir for inspection; the state file is removed.
func (l *Localnet) Down(ctx context.Context) error {
	var errs []error
	for i := len(l.Procs) - 1; i >= 0; i-- {
		p := l.Procs[i]
		l.logf("stopping %s (pid %d)", p.Name, p.PID)
		if err := p.stop(ctx); err != nil {
			errs = append(errs, err)
			continue
		}
		_ = os.Remove(filepath.Join(l.Dir, "pids", p.Name+".json"))
	}
	if len(errs) == 0 {
		l.Procs = nil
		if err := os.Remove(filepath.Join(l.Dir, StateFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if l.http != nil {
		l.http.CloseIdleConnections()
	}
	return errors.Join(errs...)
}

// ProcStatus is one process as Status sees it.
type ProcStatus struct {
	Proc
	Running bool `json:"running"`
}

// Status reports the processes and the chain height (0 when the node does not answer).
type Status struct {
	Height    int64        `json:"height"`
	Processes []ProcStatus `json:"processes"`
}

// Status checks every recorded process and asks the node for its height.
func (l *Localnet) Status(ctx context.Context) Status {
	var s Status
	for _, p := range l.Procs {
		s.Processes = append(s.Processes, ProcStatus{Proc: *p, Running: p.running()})
	}
	hctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s.Height, _ = l.Height(hctx)
	return s
}
