package ring

import (
	"errors"
	"fmt"

	ringsecp "github.com/pokt-network/go-dleq/secp256k1"
	ringgo "github.com/pokt-network/ring-go"
)

// ErrReferenceRejected means ring-go, the implementation the chain verifies proofs with,
// rejects the signature.
var ErrReferenceRejected = errors.New("ring-go rejects the signature")

// VerifyReference checks sig over msg against the expected ring members (33-byte compressed
// keys) with ring-go, step for step as poktroll v0.1.35 verifies a relay request on chain
// (pkg/crypto/rings: VerifyRelayRequestSignature): deserialize with go-dleq's secp256k1, every
// key embedded in the signature must be an expected member, then RingSig.Verify. It is the
// slow reference the fast Verifier is checked against at run time; it allocates and takes
// milliseconds, so it never runs on the hot path.
func VerifyReference(members [][]byte, msg [32]byte, sig []byte) (err error) {
	defer func() { // ring-go panics on some malformed input; a panic is a rejection here
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: panic: %v", ErrReferenceRejected, r)
		}
	}()
	curve := ringsecp.NewCurve()
	expected := make(map[string]struct{}, len(members))
	for i, k := range members {
		p, err := curve.DecodeToPoint(k)
		if err != nil {
			return fmt.Errorf("expected member %d: %w", i, err)
		}
		expected[string(p.Encode())] = struct{}{}
	}
	rs := new(ringgo.RingSig)
	if err := rs.Deserialize(curve, sig); err != nil {
		return fmt.Errorf("%w: deserialize: %w", ErrReferenceRejected, err)
	}
	for _, pk := range rs.PublicKeys() {
		if _, ok := expected[string(pk.Encode())]; !ok {
			return fmt.Errorf("%w: a signature key is not in the expected ring", ErrReferenceRejected)
		}
	}
	if !rs.Verify(msg) {
		return fmt.Errorf("%w: verification failed", ErrReferenceRejected)
	}
	return nil
}
