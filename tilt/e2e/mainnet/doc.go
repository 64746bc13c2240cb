// Package mainnet holds end-to-end tests on a local chain made to behave like mainnet (issue
// 13): relay mining difficulty above base, non-zero gas prices and proof submission fee, an
// operator whose balance runs out, a supplier that unstakes while serving, a governance change
// of the session windows, and (on a chain of its own) 3 s blocks.
//
// The tests carry the e2e build tag and run with make e2e. TestMain brings up one chain with
// 1 s blocks for every test but TestSlowBlocksNoDuplicateTxs, which brings up its own. On the
// shared chain the test order matters (Go runs them in file, then source order):
// TestDifficultyAboveBase lowers target_num_relays and so raises the difficulty for the rest
// of the chain's life, which is why it comes last in chain_test.go.
//
// Each test asserts on chain: claims, proofs and settlements from block events, the absence of
// EventSupplierSlashed and EventApplicationOverserviced, and the claim and proof messages in
// the blocks' txs.
package mainnet
