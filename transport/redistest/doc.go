// Package redistest starts real redis-server processes for tests.
//
// Tests that touch Redis talk to a real server, never to a fake and never to the machine's
// shared instance on 6379. Start launches one standalone server on a free loopback port and
// stops it when the test (or, through New, the package's TestMain) ends; StartCluster launches
// three masters that together own all 16384 slots, so code that must be legal on Redis Cluster
// (MULTI/EXEC under one hash tag, Lua with declared keys) is exercised against the real thing.
//
// The servers keep nothing on disk (no RDB, no AOF) and run in a temporary directory that is
// removed afterwards. If redis-server is not installed the helpers fail with a message that says
// how to install it (`make deps`).
package redistest
