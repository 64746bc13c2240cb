package ring

import (
	"errors"
	"fmt"
)

// Reason says why Verify rejected a signature. The set is closed and small, so
// a Reason is safe to use as a metric label value (see Reasons).
type Reason uint8

// The rejection reasons. The zero value is not a valid reason.
const (
	// ReasonNoRing: Verify was called with a nil *Ring.
	ReasonNoRing Reason = iota + 1
	// ReasonTooShort: the signature is shorter than its 4-byte size prefix,
	// or shorter than 69 + 65·n bytes for the ring size n it declares.
	ReasonTooShort
	// ReasonEmptyRing: the signature declares a ring of zero members.
	ReasonEmptyRing
	// ReasonTooManyMembers: the signature declares more members than
	// Config.MaxSignatureMembers allows (only when that limit is set).
	ReasonTooManyMembers
	// ReasonBadMemberKey: an embedded member key is not a valid compressed
	// secp256k1 point.
	ReasonBadMemberKey
	// ReasonKeyNotInRing: an embedded member key is a valid point but is not a
	// member of the expected ring (the subset check).
	ReasonKeyNotInRing
	// ReasonBadKeyImage: the key image is not a valid compressed secp256k1
	// point.
	ReasonBadKeyImage
	// ReasonChallengeOverflow: a challenge hash hit go-dleq's left-aligned
	// padding quirk and the padded value exceeded the group order, where
	// go-dleq panics. The odds are below 2^-130 per challenge.
	ReasonChallengeOverflow
	// ReasonInvalidSignature: the signature is well formed but the ring of
	// challenges does not close, so it is not a signature of this message by a
	// member of this ring.
	ReasonInvalidSignature

	reasonEnd // one past the last reason; keep last
)

var reasonLabels = [...]string{
	ReasonNoRing:            "no_ring",
	ReasonTooShort:          "too_short",
	ReasonEmptyRing:         "empty_ring",
	ReasonTooManyMembers:    "too_many_members",
	ReasonBadMemberKey:      "bad_member_key",
	ReasonKeyNotInRing:      "key_not_in_ring",
	ReasonBadKeyImage:       "bad_key_image",
	ReasonChallengeOverflow: "challenge_overflow",
	ReasonInvalidSignature:  "invalid_signature",
}

// String returns the reason's snake_case label, e.g. "key_not_in_ring".
func (r Reason) String() string {
	if r == 0 || r >= reasonEnd {
		return fmt.Sprintf("reason(%d)", uint8(r))
	}
	return reasonLabels[r]
}

// Reasons lists every rejection reason, in declaration order, so a caller can
// create each metric label value at zero up front.
func Reasons() []Reason {
	out := make([]Reason, 0, reasonEnd-1)
	for r := ReasonNoRing; r < reasonEnd; r++ {
		out = append(out, r)
	}
	return out
}

// Error is the error Verify returns for every rejected signature. Its Reason is
// the decision (and the metric label); Detail says where, for logs.
type Error struct {
	Reason Reason
	Detail string
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return "ring signature rejected: " + e.Reason.String()
	}
	return "ring signature rejected: " + e.Reason.String() + ": " + e.Detail
}

// ReasonOf returns the Reason carried by err (or by any error it wraps), and
// false when err is not a rejection from this package.
func ReasonOf(err error) (Reason, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason, true
	}
	return 0, false
}

func reject(r Reason, format string, args ...any) *Error {
	return &Error{Reason: r, Detail: fmt.Sprintf(format, args...)}
}
