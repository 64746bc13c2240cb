// Package ops is the operator-facing surface every long-running command shares: the zerolog
// logger, the Prometheus registry served at /metrics, liveness at /health, readiness at /ready,
// and pprof (off by default, loopback only).
//
// # Readiness
// Components register named conditions with Readiness and flip them as their state changes
// (block height known, keys loaded, a healthy backend per service). /ready answers 200 only
// when every registered condition holds and the process is not stopping; otherwise 503 with
// the failing conditions listed, so an operator sees why. Stopping is one-way: on SIGTERM the
// command marks the process stopping before it drains, so load balancers move traffic first.
//
// # Liveness
// /health answers 200 while the process can serve HTTP at all. It never consults
// dependencies: a Redis outage must not make an orchestrator restart every replica at once.
package ops
