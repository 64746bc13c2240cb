package ring

import "encoding/binary"

// Wire layout of a serialized ring signature (ring-go serde.go):
//
//	[4] n (big-endian) | [32] c | [33] key image | n × ([32] s_i | [33] P_i)
const (
	sizeLen   = 4
	headerLen = sizeLen + scalarLen + pointLen // 69
	memberLen = scalarLen + pointLen           // 65
)

// parseSize reads the declared ring size and checks the length for it.
// ring-go ignores bytes after the last member; so does this.
func (v *Verifier) parseSize(sig []byte) (int, error) {
	if len(sig) < sizeLen {
		return 0, reject(ReasonTooShort, "%d bytes, no ring size", len(sig))
	}
	n64 := uint64(binary.BigEndian.Uint32(sig))
	if n64 == 0 {
		return 0, reject(ReasonEmptyRing, "ring size 0")
	}
	if v.maxMembers > 0 && n64 > uint64(v.maxMembers) {
		return 0, reject(ReasonTooManyMembers, "ring size %d > %d", n64, v.maxMembers)
	}
	if need := headerLen + memberLen*n64; uint64(len(sig)) < need {
		return 0, reject(ReasonTooShort, "%d bytes, ring size %d needs %d", len(sig), n64, need)
	}
	return int(n64), nil
}

// memberAt returns the i-th member's scalar and key bytes.
func memberAt(sig []byte, i int) (s []byte, key *encodedPoint) {
	off := headerLen + i*memberLen
	return sig[off : off+scalarLen], (*encodedPoint)(sig[off+scalarLen : off+memberLen])
}

// checkMembers is the subset check. An embedded key is a member exactly when
// its bytes equal a member's compressed key, because a valid point has one
// compressed encoding.
func checkMembers(ring *Ring, sig []byte, n int) error {
	for i := range n {
		_, key := memberAt(sig, i)
		if ring.lookup(key) >= 0 {
			continue
		}
		var p affinePoint
		if !parsePoint(key[:], &p) {
			return reject(ReasonBadMemberKey, "member %d key %x", i, key[:])
		}
		return reject(ReasonKeyNotInRing, "member %d key %x", i, key[:])
	}
	return nil
}
