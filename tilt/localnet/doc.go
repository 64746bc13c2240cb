// Package localnet brings up a real single-node Pocket chain on loopback ports, stakes a
// service, gateway, application and supplier on it, and gives tests what they need to assert on
// chain: heights, sessions, block events, settlements and balances.
//
// # What Up does
// Up builds pocketd from the poktroll module pinned in go.mod (make pocketd: cached in bin/,
// rebuilt only when go.mod or go.sum is newer), initialises a validator under Options.Dir with
// short sessions (Options.Session, LOCALNET.md's profile with one block of slack by default),
// binds every listener to 127.0.0.1 on free ports, starts the node and waits for blocks. It
// then stakes with txs signed by each actor, so their public keys land on chain:
//
//	service_owner  add-service   (Options.ServiceID, compute units per relay)
//	gateway1       stake-gateway
//	app1           stake-and-delegate to gateway1
//	supplier1      stake-supplier with Options.Endpoints (service, rpc type, URL)
//
// Each tx is awaited by polling its hash on the CometBFT RPC, never by sleeping. Up returns once
// supplier1 is listed in app1's session. Optionally it also starts a redis-server, the test
// backend (tilt/backend-server) and poktroll's reference relay miner for supplier1.
//
// The well-known test accounts come from the public mnemonics in poktroll's config.yml, so
// their addresses are the same on every run (see Accounts).
//
// # Mainnet-like chains
// Options.Chain sets the block time, a gas price, the proof submission fee, target_num_relays
// (difficulty above base), app1's stake, num_suppliers_per_session and a poor operator's
// balance. StakeSupplier/UnstakeSupplier change suppliers other than supplier1 while the chain
// runs, and UpdateSessionParams changes the windows through x/gov's authority (an authz grant
// to the validator key in genesis), returning the height the change takes effect at.
//
// # Processes
// Every process Up starts is recorded in Dir/pids (PID, binary, listen addresses) and in the
// state file Dir/localnet.json. Down stops exactly those processes — checking that each PID
// still runs the recorded binary — and waits until their listeners are closed. With
// Options.Detach the processes outlive the caller (make localnet); without it they are killed if
// the caller dies (tests), and the caller must call Down.
//
// # Chain assertions
// BlockEvents reads /block_results; WaitForSettlement follows one session of one supplier
// through claim, proof validation and settlement; Balance reads the bank module. Later issues
// use the same helpers against our relayer and miner.
package localnet
