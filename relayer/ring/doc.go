// Package ring verifies relay-request ring signatures (ring-go v0.2.0 LSAG
// over secp256k1, as poktroll uses them) against an application's ring,
// bit-identically to ring-go + go-dleq but several times faster, and signs
// them for load tests.
package ring
