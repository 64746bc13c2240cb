package ring

import (
	"sync/atomic"

	secp "github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// DefaultCacheEntries is the default Config.CacheEntries.
const DefaultCacheEntries = 1024

// Config configures a Verifier.
type Config struct {
	// CacheEntries bounds the number of prepared rings kept (LRU). Each entry
	// holds about 20 KiB per member for its two comb tables, plus 10 KiB per
	// signer whose key image was seen in two valid signatures. Default
	// DefaultCacheEntries (1024); must not be negative.
	CacheEntries int
	// MaxSignatureMembers, when positive, rejects signatures that declare
	// more members than this with ReasonTooManyMembers before any curve
	// arithmetic. ring-go has no such limit (a member may repeat), so the
	// default 0 means no limit and bit-identical results; set it to bound the
	// work one request can cause.
	MaxSignatureMembers int
}

// Verifier verifies relay-request ring signatures against prepared rings. It
// is safe for concurrent use.
type Verifier struct {
	cache      *ringCache
	maxMembers int

	imageTables atomic.Uint64
	padded      atomic.Uint64
}

// Stats are cumulative counters, for the caller's metrics.
type Stats struct {
	RingCacheHits      uint64 // PrepareRing found the ring cached
	RingCacheMisses    uint64 // PrepareRing had to build it
	RingCacheEvictions uint64 // rings dropped by the LRU
	RingCacheEntries   int    // rings cached now
	ImageTables        uint64 // key-image comb tables built
	PaddedChallenges   uint64 // challenges that took go-dleq's left-aligned padding path
}

// New returns a Verifier. A zero Config gets the defaults.
func New(cfg Config) *Verifier {
	n := cfg.CacheEntries
	if n <= 0 {
		n = DefaultCacheEntries
	}
	return &Verifier{cache: newRingCache(n), maxMembers: cfg.MaxSignatureMembers}
}

// Stats returns the counters so far.
func (v *Verifier) Stats() Stats {
	return Stats{
		RingCacheHits:      v.cache.hits.Load(),
		RingCacheMisses:    v.cache.misses.Load(),
		RingCacheEvictions: v.cache.evictions.Load(),
		RingCacheEntries:   v.cache.len(),
		ImageTables:        v.imageTables.Load(),
		PaddedChallenges:   v.padded.Load(),
	}
}

// PrepareRing returns the prepared ring for the given 33-byte compressed
// member keys, from the cache when it holds the same member set (order and
// repetition do not matter). Building a ring costs about a millisecond per
// member; concurrent calls for the same new ring share one build.
func (v *Verifier) PrepareRing(pubKeys [][]byte) (*Ring, error) {
	keys, id, err := ringKeys(pubKeys)
	if err != nil {
		return nil, err
	}
	e := v.cache.entry(id)
	e.once.Do(func() { e.ring, e.err = buildRing(keys, id) })
	if e.err != nil {
		v.cache.drop(e)
		return nil, e.err
	}
	return e.ring, nil
}

// Verify checks that sig is a valid ring signature of msg whose embedded
// member keys all belong to ring (a subset check: their order, number and
// repetition are not compared with the ring's, as in poktroll's relay miner).
// It accepts exactly the signatures that ring-go v0.2.0's Deserialize +
// poktroll's subset check + Verify accept, and returns an *Error with the
// Reason otherwise. See the package documentation for the edge cases.
func (v *Verifier) Verify(ring *Ring, msg [32]byte, sig []byte) error {
	if ring == nil {
		return reject(ReasonNoRing, "nil ring")
	}
	n, err := v.parseSize(sig)
	if err != nil {
		return err
	}
	if err := checkMembers(ring, sig, n); err != nil {
		return err
	}

	imgKey := (*encodedPoint)(sig[sizeLen+scalarLen : headerLen])
	var img affinePoint
	entry := ring.image(imgKey)
	var imgComb *combTable
	if entry != nil {
		img = entry.point
		imgComb = entry.comb.Load()
	} else if !parsePoint(imgKey[:], &img) {
		return reject(ReasonBadKeyImage, "key image %x", imgKey[:])
	}

	var c0 secp.ModNScalar
	c0.SetByteSlice(sig[sizeLen : sizeLen+scalarLen])
	c, padded, ok := closeRing(ring, &msg, sig, n, &c0, &img, imgComb)
	if padded > 0 {
		v.padded.Add(uint64(padded))
	}
	if !ok {
		return reject(ReasonChallengeOverflow, "challenge hash padded past the group order")
	}
	if !c.Equals(&c0) {
		return reject(ReasonInvalidSignature, "ring of %d does not close", n)
	}
	if ring.noteImage(entry, imgKey, &img) {
		v.imageTables.Add(1)
	}
	return nil
}

// closeRing walks the ring of challenges from c0 and returns the final one:
// for each member i, L_i = s_i·G + c_i·P_i, R_i = s_i·H_p(P_i) + c_i·I and
// c_{i+1} = H(m ‖ L_i ‖ R_i). It also counts the challenges that were padded;
// ok is false on a challenge overflow.
func closeRing(ring *Ring, msg *[32]byte, sig []byte, n int, c0 *secp.ModNScalar, img *affinePoint, imgComb *combTable) (c secp.ModNScalar, padded int, ok bool) {
	g := baseComb()
	var wt *wnafTable
	var wtStore wnafTable
	if imgComb == nil {
		wtStore.set(img)
		wt = &wtStore
	}
	c = *c0
	for i := range n {
		sb, key := memberAt(sig, i)
		m := &ring.members[ring.lookup(key)]
		var s secp.ModNScalar
		s.SetByteSlice(sb)

		var sd, cd combDigits
		sd.set(&s)
		cd.set(&c)
		var l, r secp.JacobianPoint
		combSum(&l, g, &sd, m.pComb, &cd)
		if imgComb != nil {
			combSum(&r, m.hComb, &sd, imgComb, &cd)
		} else {
			combPlusGLV(&r, m.hComb, &sd, wt, &c)
		}
		var le, re encodedPoint
		encodePair(&l, &r, &le, &re)
		var pad bool
		c, pad, ok = challenge(msg, &le, &re)
		if pad {
			padded++
		}
		if !ok {
			return c, padded, false
		}
	}
	return c, padded, true
}
