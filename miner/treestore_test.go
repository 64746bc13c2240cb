package miner

import (
	"bytes"
	"testing"
)

// FuzzAppendChildren feeds arbitrary node encodings to the takeover walk's parser: it never
// panics, accepts only the three encodings the sum trie writes, and returns child references of
// the right size that are never the empty subtrie's.
func FuzzAppendChildren(f *testing.F) {
	inner := make([]byte, innerNodeSize)
	inner[0] = 1
	inner[5] = 9 // left child named, right child empty
	ext := make([]byte, extNodeSize)
	ext[0] = 2
	ext[40] = 3
	f.Add([]byte{0, 1, 2, 3})
	f.Add(inner)
	f.Add(ext)
	f.Add([]byte{})
	f.Add([]byte{7})
	f.Fuzz(func(t *testing.T, enc []byte) {
		refs, err := appendChildren(nil, string(enc))
		if err != nil {
			if len(enc) > 0 && enc[0] == 0 {
				t.Fatalf("a leaf was refused: %v", err)
			}
			return
		}
		if len(enc) == 0 {
			t.Fatal("an empty encoding was accepted")
		}
		want := map[byte]int{0: 0, 1: 2, 2: 1}[enc[0]]
		if len(refs) > want {
			t.Fatalf("%d children for a node of kind %d", len(refs), enc[0])
		}
		for _, r := range refs {
			if len(r) != childRefSize || bytes.Equal([]byte(r), placeholderRef[:]) {
				t.Fatalf("bad child reference %x", r)
			}
		}
	})
}
