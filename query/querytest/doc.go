// Package querytest runs a fake chain gRPC server for tests of code that queries the chain.
//
// Chain implements the poktroll and Cosmos query services the relay miner uses (session,
// shared, application, supplier, service, proof, auth, bank) over in-memory state on a real
// loopback gRPC server, counts every call by full method name, and can make the next calls of
// a method fail with chosen errors or hang until the caller gives up. Like a Cosmos node it names
// the last committed height (SetLastHeight) in the x-cosmos-block-height header of every answer,
// and it answers shared params at a height from a params history (RecordSharedParams) the way
// poktroll v0.1.35 does. It is for logic tests of retries, classification and caching; the
// real-chain tests use tilt/localnet.
package querytest
