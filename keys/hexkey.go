package keys

import (
	"errors"
	"fmt"
	"strings"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// privKeyHexLen is the length of a secp256k1 private key in hex, without a 0x prefix.
const privKeyHexLen = 64

// Errors of parseHexKey. None of them, nor any error of this package, carries key material:
// a message says what is wrong (length, character class, range), never what the input was.
var (
	errKeyEmpty    = errors.New("empty: want a 64-character hex private key")
	errKeyNotHex   = errors.New("not hex: want a 64-character hex private key")
	errKeyOutRange = errors.New("not a valid secp256k1 private key (zero or not below the curve order)")
)

// parseHexKey decodes a hex secp256k1 private key: surrounding whitespace is trimmed, an optional
// 0x or 0X prefix is dropped, and exactly 64 hex digits (either case) must remain. The scalar
// must be in [1, n-1]. It fills dst and never echoes s in its errors.
func parseHexKey(s string, dst *[32]byte) error {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s = s[2:]
	}
	if s == "" {
		return errKeyEmpty
	}
	if len(s) != privKeyHexLen {
		return fmt.Errorf("want 64 hex characters, got %d", len(s))
	}
	for i := range dst {
		hi, ok1 := fromHexChar(s[2*i])
		lo, ok2 := fromHexChar(s[2*i+1])
		if !ok1 || !ok2 {
			clear(dst[:])
			return errKeyNotHex
		}
		dst[i] = hi<<4 | lo
	}
	var k secp256k1.ModNScalar
	overflow := k.SetBytes(dst)
	zero := k.IsZero()
	k.Zero()
	if overflow != 0 || zero {
		clear(dst[:])
		return errKeyOutRange
	}
	return nil
}

// fromHexChar decodes one hex digit without a lookup that could panic on any byte value.
func fromHexChar(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
