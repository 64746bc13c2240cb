// Package load is the load engine of the `relay` command: it calls a Sender (one relay) as
// fast as a closed loop allows or at an open-loop rate, records every latency in an HDR
// histogram, prints progress and builds the Report.
//
// # Closed and open loop
//
// With Config.RPS == 0 each of Config.Concurrency workers sends its next request as soon as
// its previous one is answered; a request's latency is its own round trip. This measures
// capacity, but a server that stalls also stalls the sender, so the stall is recorded once
// instead of once per request that should have been sent meanwhile (coordinated omission).
//
// With Config.RPS > 0 the dispatcher schedules request i at start + i/RPS, whatever happened
// before, and hands it to a free worker; the latency is measured from the scheduled time,
// not from when a worker got to send it. Time a request spent waiting for a worker (all
// Concurrency of them busy with a slow server) is part of its latency. The ticket queue
// holds at most Concurrency requests, so memory stays bounded however far behind the server
// falls; the due times keep the record honest.
//
// # Bounds and shutdown
//
// A run stops dispatching at Config.Count requests, after Config.Duration, or when its
// context ends (SIGINT); requests in flight are then waited for, each bounded by
// Config.Timeout, and Run returns the (partial, Interrupted) report. Concurrency and RPS are
// capped (MaxConcurrency, MaxRPS). All time comes from Config.Clock, so tests run the
// scheduler on a fake clock.
//
// # Report
//
// Report's JSON field names are stable (SchemaVersion); latencies are in milliseconds with
// three significant digits (HDR histogram of microseconds, 1 µs to 1 h).
package load
