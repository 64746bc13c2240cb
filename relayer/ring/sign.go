package ring

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	secp "github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// ErrBadPrivateKey is returned by NewSigner for a key that is not a 32-byte
// big-endian scalar in [1, N).
var ErrBadPrivateKey = errors.New("private key must be 32 bytes in [1, N)")

// ErrNotMember is returned by NewSigner when the key's public key is not in
// the ring.
var ErrNotMember = errors.New("private key's public key is not a ring member")

// Signer produces ring signatures for one member of one ring, reusing the
// ring's precomputed tables and its own key image table. The signatures are
// serialized exactly as ring-go's RingSig.Serialize and verify with ring-go,
// with the members in the ring's order (sorted keys, see Ring.Members).
// Unlike ring-go's Sign it also signs for a ring of one member, which
// ring-go's Verify accepts. A Signer is safe for concurrent use; it is meant
// for load testing and tests, not for keys that need side-channel resistance
// (its arithmetic is not constant time).
type Signer struct {
	ring      *Ring
	pos       int
	x         secp.ModNScalar
	image     encodedPoint
	imageComb *combTable
	rand      io.Reader

	// decoy, when set (tests only), replaces the random s_i of the member
	// at position i given its challenge c_i.
	decoy func(i int, c, s *secp.ModNScalar)
}

// NewSigner returns a Signer for the member of ring whose private key is
// privKey (32 bytes, big-endian, as in a Cosmos secp256k1 PrivKey).
func NewSigner(ring *Ring, privKey []byte) (*Signer, error) {
	if len(privKey) != scalarLen {
		return nil, fmt.Errorf("%d bytes: %w", len(privKey), ErrBadPrivateKey)
	}
	s := &Signer{ring: ring, rand: rand.Reader}
	if s.x.SetByteSlice(privKey) || s.x.IsZero() {
		return nil, ErrBadPrivateKey
	}
	var pub secp.JacobianPoint
	secp.ScalarBaseMultNonConst(&s.x, &pub)
	pub.ToAffine()
	var key encodedPoint
	(&affinePoint{x: pub.X, y: pub.Y}).encode(&key)
	if s.pos = ring.lookup(&key); s.pos < 0 {
		return nil, fmt.Errorf("key %x: %w", key[:], ErrNotMember)
	}
	var img secp.JacobianPoint
	h := &ring.members[s.pos].hash
	hj := secp.MakeJacobianPoint(&h.x, &h.y, new(secp.FieldVal).SetInt(1))
	secp.ScalarMultNonConst(&s.x, &hj, &img)
	img.ToAffine()
	ia := affinePoint{x: img.X, y: img.Y}
	ia.encode(&s.image)
	s.imageComb = newCombTable(&ia)
	return s, nil
}

// KeyImage returns the signer's 33-byte key image, I = x·H_p(P).
func (s *Signer) KeyImage() []byte { return append([]byte(nil), s.image[:]...) }

// Sign returns the serialized ring signature of msg.
func (s *Signer) Sign(msg [32]byte) ([]byte, error) {
	order := make([]int, len(s.ring.members))
	for i := range order {
		order[i] = i
	}
	return s.signOrder(msg, order, s.pos)
}

// signOrder signs with the ring members listed by index in order (members
// may repeat); the signer sits at order[pos].
func (s *Signer) signOrder(msg [32]byte, order []int, pos int) ([]byte, error) {
	n := len(order)
	out := make([]byte, headerLen+n*memberLen)
	binary.BigEndian.PutUint32(out, uint32(n))
	copy(out[sizeLen+scalarLen:headerLen], s.image[:])
	g := baseComb()

	// L_j = u·G, R_j = u·H_p(P_j), c_{j+1} = H(m ‖ L_j ‖ R_j).
	var u secp.ModNScalar
	if err := s.randomScalar(&u); err != nil {
		return nil, err
	}
	var ud combDigits
	ud.set(&u)
	me := &s.ring.members[order[pos]]
	var l, r secp.JacobianPoint
	combSum(&l, g, &ud, nil, nil)
	combSum(&r, me.hComb, &ud, nil, nil)
	c, err := s.next(&msg, &l, &r)
	if err != nil {
		return nil, err
	}

	for k := 1; k < n; k++ {
		i := (pos + k) % n
		if i == 0 {
			c.PutBytesUnchecked(out[sizeLen : sizeLen+scalarLen])
		}
		m := &s.ring.members[order[i]]
		var si secp.ModNScalar
		if err := s.randomScalar(&si); err != nil {
			return nil, err
		}
		if s.decoy != nil {
			s.decoy(i, &c, &si)
		}
		putMember(out, i, &si, &m.key)
		var sd, cd combDigits
		sd.set(&si)
		cd.set(&c)
		combSum(&l, g, &sd, m.pComb, &cd)
		combSum(&r, m.hComb, &sd, s.imageComb, &cd)
		if c, err = s.next(&msg, &l, &r); err != nil {
			return nil, err
		}
	}

	// Close the ring: s_j = u − c_j·x.
	if pos == 0 {
		c.PutBytesUnchecked(out[sizeLen : sizeLen+scalarLen])
	}
	var sj secp.ModNScalar
	sj.Mul2(&c, &s.x).Negate().Add(&u)
	putMember(out, pos, &sj, &me.key)
	return out, nil
}

func (s *Signer) next(msg *[32]byte, l, r *secp.JacobianPoint) (secp.ModNScalar, error) {
	var le, re encodedPoint
	encodePair(l, r, &le, &re)
	c, _, ok := challenge(msg, &le, &re)
	if !ok {
		return c, errors.New("challenge hash padded past the group order")
	}
	return c, nil
}

func (s *Signer) randomScalar(k *secp.ModNScalar) error {
	var b [32]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return fmt.Errorf("read randomness: %w", err)
	}
	k.SetBytes(&b)
	return nil
}

func putMember(out []byte, i int, s *secp.ModNScalar, key *encodedPoint) {
	off := headerLen + i*memberLen
	s.PutBytesUnchecked(out[off : off+scalarLen])
	copy(out[off+scalarLen:off+memberLen], key[:])
}

// Sign is NewSigner followed by one Signer.Sign. Keep the Signer instead when
// signing repeatedly: building it costs about as much as one signature.
func Sign(ring *Ring, msg [32]byte, privKey []byte) ([]byte, error) {
	s, err := NewSigner(ring, privKey)
	if err != nil {
		return nil, err
	}
	return s.Sign(msg)
}
