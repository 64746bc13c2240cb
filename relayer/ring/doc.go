// Package ring verifies relay-request ring signatures against an
// application's ring, accepting exactly what ring-go v0.2.0 (with go-dleq's
// default decred secp256k1 backend) plus poktroll's subset check accept, in a
// fraction of the time; and it signs such signatures for load tests.
//
// # Usage
//
//	v := ring.New(ring.Config{})                 // one per process
//	r, err := v.PrepareRing(appRingPubKeys)      // 33-byte compressed keys; cached
//	err = v.Verify(r, relayRequestHash, sig)     // nil, or an *ring.Error
//	reason, _ := ring.ReasonOf(err)              // bounded enum, a metric label
//
// The caller builds the expected key set for (application, session end
// height) as PROTOCOL §3.1 describes (app, delegated gateways, pending
// undelegations, the placeholder key) and passes it to PrepareRing; the
// resulting *Ring may be kept by the caller too. Verify does PROTOCOL §3.3
// steps 2, 4 and 5: parse, subset check, verify.
//
// # The scheme
//
// A signature over a ring of n keys P_0…P_{n−1} is (c_0, I, s_0…s_{n−1}),
// serialized as
//
//	[4] n big-endian | [32] c_0 | [33] I | n × ([32] s_i | [33] P_i)
//
// and is valid for message m when the chain
//
//	L_i = s_i·G + c_i·P_i
//	R_i = s_i·H_p(P_i) + c_i·I
//	c_{i+1} = HashToScalar(m ‖ enc(L_i) ‖ enc(R_i))
//
// closes: c_n = c_0 (mod N). Here enc is the 33-byte compressed encoding,
// H_p is ring-go's try-and-increment hash to curve (SHA3-256 of the compressed
// key, rehashed until it is an x coordinate; even y) and HashToScalar is
// go-dleq's SHA3-512 mod N with its left-aligned copy (see below). I is the
// key image x·H_p(P) of the signer's key x.
//
// # Why it is faster
//
// ring-go does four independent scalar multiplications per member, an affine
// conversion (a field inversion) after each, and recomputes H_p(P_i) every
// time. Here:
//
//   - H_p(P) of every member is computed once per ring, in PrepareRing.
//   - Every point that is fixed for a ring — G, each P_i, each H_p(P_i) — has a
//     precomputed Lim–Lee comb table (7 teeth, 127 affine points, 10 KiB). One
//     comb multiplication costs 36 doublings and ≤ 37 mixed additions, and
//     s·G + c·P shares the doublings: 36 doublings and ≤ 74 additions in all,
//     against about 2×(128 doublings + 85 additions) plus two inversions in
//     ring-go.
//   - The key image I changes per signer, not per ring. The first time, c·I
//     uses the GLV endomorphism (c = c1 + c2·λ with 128-bit halves, φ(x,y) =
//     (β·x, y)) and width-5 NAF digits against a per-verification table of odd
//     multiples of I and φ(I), in the same doubling chain as the comb for
//     s·H_p(P). Once a key image has been in two valid signatures for a ring,
//     the ring caches a comb table for it (that second verification pays for
//     building it), and from then on R_i costs what L_i costs.
//   - L_i and R_i are converted to affine with one shared inversion.
//   - Embedded member keys are matched to ring members by their bytes, so they
//     are never decompressed; the key image is decompressed once per signer
//     and then found in the ring's image cache.
//   - The hot path allocates nothing: parsing walks the byte slice, and all
//     scratch lives on the stack.
//
// The arithmetic is decred secp256k1 v4's field and group code (FieldVal,
// JacobianPoint, AddNonConst, DoubleNonConst); it is not constant time, which
// is fine because every input to verification is public. The Signer uses the
// same tables and is likewise not constant time.
//
// # The cache
//
// Verifier keeps an LRU of prepared rings, at most Config.CacheEntries
// (default 1024), keyed by the RingID: SHA-256 over the sorted, de-duplicated
// compressed keys, so the key order the caller passes does not matter.
// Concurrent PrepareRing calls for a missing ring share one build. An entry
// costs about 20 KiB per member, plus 10 KiB for each signer whose key image
// table is cached (at most one per member, and only for images that verified:
// a valid signature's image is x·H_p(P) for a member's own key, so the image
// cache cannot be filled by an attacker). An evicted *Ring stays usable by
// whoever still holds it.
//
// # What is guaranteed: ring-go's answers, including its quirks
//
// For every input, Verify returns nil exactly when ring-go's Deserialize
// succeeds, every embedded key is in the expected set (poktroll's
// ringPointsContain) and ring-go's Verify returns true. The differential tests
// (TestDifferential, FuzzVerify) check this. Where ring-go's behaviour is
// surprising, we follow it:
//
//   - Scalars c and s_i are any 32 bytes, reduced mod N: s_i and s_i+N
//     encode the same signature, and zero scalars are accepted.
//   - Bytes after the last member are ignored.
//   - The embedded ring is compared with the expected ring as a subset only:
//     it may be in any order, smaller, or repeat a member ([app, app] from old
//     SDKs verifies). A ring of one member verifies (ring-go cannot sign one
//     but verifies it; our Signer signs it).
//   - A point at infinity for L_i or R_i is encoded 0x02‖0^32, as decred's
//     ToAffine turns it into (0, 0).
//   - HashToScalar copies the reduced hash into 32 bytes left-aligned: when
//     the value has z leading zero bytes (about 1 challenge in 256) the scalar
//     used is value·2^(8z). This is reproduced exactly; Stats counts it.
//
// Where ring-go panics we reject instead, with a reason: fewer than 4 bytes
// (ReasonTooShort) and a declared ring of 0 members (ReasonEmptyRing; ring-go
// indexes an empty slice in Verify). Two further ring-go panics need hash
// outcomes with probability below 2^-128 — a padded challenge ≥ N
// (ReasonChallengeOverflow) and no hash-to-curve point in 128 tries
// (PrepareRing errors) — and cannot be tested.
//
// Config.MaxSignatureMembers is the one deliberate way to differ: when set,
// signatures declaring more members are rejected before any arithmetic.
//
// # Errors and metrics
//
// Every rejection is an *Error whose Reason is one of a fixed set (Reasons
// lists them, String gives the label). The package keeps no global state
// besides the constant comb table of G (built on first use); Verifier.Stats
// exposes cache hits, misses, evictions, image tables built and padded
// challenges for the caller's metrics.
//
// # Tests
//
// TestDifferential compares Verify with ring-go on random rings (1–8
// members, app + placeholder, [app, app]) signed by ring-go and by Signer,
// untouched and tampered; -ring.cases=100000 (or RING_CASES) runs a large
// sample. testdata/padded_challenge.txt holds ring-go signatures whose
// verification takes the padded-challenge path (-ring.update regenerates it
// and the FuzzVerify seeds). BENCHMARKS.md has the numbers.
package ring
