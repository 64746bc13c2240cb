package keys

import (
	"encoding/hex"
	"strings"
	"testing"
)

func TestParseHexKey(t *testing.T) {
	const k = "1111111111111111111111111111111111111111111111111111111111111111"
	for _, tc := range []struct {
		name, in, wantErr string
	}{
		{name: "plain", in: k},
		{name: "0x prefix", in: "0x" + k},
		{name: "0X prefix", in: "0X" + k},
		{name: "upper case", in: strings.ToUpper("abcdef" + k[6:])},
		{name: "whitespace", in: "\n\t " + k + "\r\n"},
		{name: "max scalar", in: "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140"},
		{name: "empty", in: "", wantErr: "empty"},
		{name: "prefix only", in: "0x", wantErr: "empty"},
		{name: "short", in: k[:63], wantErr: "got 63"},
		{name: "long", in: k + "1", wantErr: "got 65"},
		{name: "inner space", in: k[:32] + " " + k[33:], wantErr: "not hex"},
		{name: "not hex", in: k[:63] + "g", wantErr: "not hex"},
		{name: "double prefix", in: "0x0x" + k[2:], wantErr: "not hex"},
		{name: "zero", in: strings.Repeat("0", 64), wantErr: "not a valid secp256k1"},
		{name: "curve order", in: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", wantErr: "not a valid secp256k1"},
		{name: "all f", in: strings.Repeat("f", 64), wantErr: "not a valid secp256k1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var raw [32]byte
			err := parseHexKey(tc.in, &raw)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("parseHexKey: %v", err)
				}
				want := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(tc.in), "0x"), "0X")
				if got := hex.EncodeToString(raw[:]); got != strings.ToLower(want) {
					t.Fatalf("decoded %s, want %s", got, want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
			if raw != ([32]byte{}) {
				t.Error("destination not cleared after an error")
			}
			assertNoKeyMaterial(t, err.Error(), tc.in)
		})
	}
}

// FuzzParseHexKey checks that any input either decodes to the key it spells or fails with an
// error that does not echo it, and never panics.
func FuzzParseHexKey(f *testing.F) {
	for _, s := range []string{
		"1111111111111111111111111111111111111111111111111111111111111111",
		"0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140",
		" 0XABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789\n",
		"", "0x", "zz", strings.Repeat("0", 64),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var raw [32]byte
		err := parseHexKey(in, &raw)
		if err != nil {
			if s := strings.TrimSpace(in); len(s) >= 8 && strings.Contains(err.Error(), s) {
				t.Fatalf("error echoes the input: %v", err)
			}
			if raw != ([32]byte{}) {
				t.Fatal("destination not cleared after an error")
			}
			return
		}
		s := strings.TrimSpace(in)
		if len(s) > 64 {
			s = s[2:]
		}
		if got := hex.EncodeToString(raw[:]); got != strings.ToLower(s) {
			t.Fatalf("decoded %s from %q", got, in)
		}
		if _, err := newSigner(&raw); err != nil {
			t.Fatalf("accepted key makes no signer: %v", err)
		}
	})
}
