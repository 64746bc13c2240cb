// Package e2e holds the end-to-end tests: they run against a real single-node Pocket chain
// that TestMain brings up with package tilt/localnet, and assert on chain (block events,
// balances) that relays became claims, validated proofs and settlements.
//
// The tests carry the e2e build tag, so plain `go test ./...` skips them; run them with
//
//	make e2e        # go test -tags e2e ./tilt/e2e/...
//
// One chain serves the whole package (about 25 s to bring up once bin/pocketd exists; make e2e
// builds it first). Set LOCALNET_KEEP=1 to leave the chain's directory behind for inspection;
// the processes are always stopped.
//
// # Adding a test
// Send relays through the component under test, note the session end heights they belong to,
// then assert with chain.WaitForSettlement and chain.Balance as TestReferenceRelayMinerSettles
// does. Later issues add our relayer and miner here next to poktroll's reference relay miner.
package e2e
