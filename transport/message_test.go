package transport

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite testdata/fuzz/FuzzDecodeRelayMessage seeds")

// sampleMessage returns a message shaped like a real one: bech32 addresses, a 64-hex session id
// and a relay of relayLen bytes.
func sampleMessage(relayLen int) Message {
	relay := make([]byte, relayLen)
	for i := range relay {
		relay[i] = byte(i*7 + 3)
	}
	return Message{
		Relay:                relay,
		RelayHash:            HashRelay(relay),
		ComputeUnitsPerRelay: 100,
		Supplier:             "pokt19a3t4yunp0dlpfjrp7qwnzwlrzd5fzs2gjaaaj",
		Application:          "pokt1mrqt5f7qh8uxs27cjm9t7v9e74a9vvdnq5jva4",
		ServiceID:            "anvil",
		SessionID:            strings.Repeat("ab12", 16),
		SessionStartHeight:   101,
		SessionEndHeight:     110,
	}
}

func equalMessages(a, b Message) bool {
	return bytes.Equal(a.Relay, b.Relay) && a.RelayHash == b.RelayHash &&
		a.ComputeUnitsPerRelay == b.ComputeUnitsPerRelay && a.Supplier == b.Supplier &&
		a.Application == b.Application && a.ServiceID == b.ServiceID && a.SessionID == b.SessionID &&
		a.SessionStartHeight == b.SessionStartHeight && a.SessionEndHeight == b.SessionEndHeight
}

func TestMessageRoundTrip(t *testing.T) {
	cases := map[string]Message{
		"empty":    {},
		"typical":  sampleMessage(700),
		"no relay": sampleMessage(0),
		"extremes": {
			Relay: bytes.Repeat([]byte{0xff}, 3), ComputeUnitsPerRelay: ^uint64(0),
			Supplier: strings.Repeat("s", MaxStringBytes), Application: strings.Repeat("a", MaxStringBytes),
			ServiceID: strings.Repeat("x", MaxStringBytes), SessionID: strings.Repeat("i", MaxStringBytes),
			SessionStartHeight: -1, SessionEndHeight: 1<<63 - 1,
		},
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := m.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if len(b) != m.EncodedLen() || cap(b) != len(b) {
				t.Fatalf("len %d cap %d, EncodedLen %d", len(b), cap(b), m.EncodedLen())
			}
			got, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if !equalMessages(got, m) {
				t.Fatalf("Decode round trip:\n got %+v\nwant %+v", got, m)
			}
			got, err = DecodeString(string(b))
			if err != nil {
				t.Fatal(err)
			}
			if !equalMessages(got, m) {
				t.Fatalf("DecodeString round trip:\n got %+v\nwant %+v", got, m)
			}
			// AppendEncode appends after existing bytes.
			b2, err := m.AppendEncode([]byte("xy"))
			if err != nil || string(b2[:2]) != "xy" || !bytes.Equal(b2[2:], b) {
				t.Fatalf("AppendEncode: %v", err)
			}
		})
	}
}

// TestMessageLayout pins the byte layout documented in FORMAT.md.
func TestMessageLayout(t *testing.T) {
	m := Message{
		Relay: []byte{0xde, 0xad}, ComputeUnitsPerRelay: 0x0102030405060708,
		Supplier: "S", Application: "AP", ServiceID: "SVC", SessionID: "SESS",
		SessionStartHeight: 0x11, SessionEndHeight: 0x22,
	}
	for i := range m.RelayHash {
		m.RelayHash[i] = byte(i)
	}
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	want = append(want, 1)
	want = append(want, m.RelayHash[:]...)
	want = append(want, 1, 2, 3, 4, 5, 6, 7, 8)
	want = append(want, 0, 0, 0, 0, 0, 0, 0, 0x11)
	want = append(want, 0, 0, 0, 0, 0, 0, 0, 0x22)
	want = append(want, 0, 0, 0, 2)
	want = append(want, 1, 2, 3, 4)
	want = append(want, "SAPSVCSESS"...)
	want = append(want, 0xde, 0xad)
	if !bytes.Equal(b, want) {
		t.Fatalf("layout:\n got %x\nwant %x", b, want)
	}
	if len(b) != 65+10+2 {
		t.Fatalf("fixed part is 65 bytes; got total %d", len(b))
	}
}

func TestDecodeRejectsMalformed(t *testing.T) {
	m := sampleMessage(40)
	good, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	cases := map[string][]byte{
		"nil":             nil,
		"version only":    {1},
		"bad version":     mutate(func(b []byte) []byte { b[0] = 2; return b }),
		"version zero":    mutate(func(b []byte) []byte { b[0] = 0; return b }),
		"short head":      good[:64],
		"truncated body":  good[:len(good)-1],
		"trailing":        append(bytes.Clone(good), 0),
		"relay len huge":  mutate(func(b []byte) []byte { binary.BigEndian.PutUint32(b[57:], MaxRelayBytes+1); return b }),
		"relay len max32": mutate(func(b []byte) []byte { binary.BigEndian.PutUint32(b[57:], ^uint32(0)); return b }),
		"string len long": mutate(func(b []byte) []byte { b[61] = 255; return b }),
		"oversized":       make([]byte, MaxMessageBytes+1),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Decode(b); !errors.Is(err, ErrMalformedMessage) {
				t.Fatalf("Decode: got %v, want ErrMalformedMessage", err)
			}
			if _, err := DecodeString(string(b)); !errors.Is(err, ErrMalformedMessage) {
				t.Fatalf("DecodeString: got %v, want ErrMalformedMessage", err)
			}
		})
	}
}

func TestEncodeRejectsOversized(t *testing.T) {
	m := sampleMessage(1)
	m.ServiceID = strings.Repeat("x", MaxStringBytes+1)
	if _, err := m.Encode(); !errors.Is(err, ErrMalformedMessage) {
		t.Fatalf("long string: got %v", err)
	}
	m = sampleMessage(MaxRelayBytes + 1)
	if _, err := m.Encode(); !errors.Is(err, ErrMalformedMessage) {
		t.Fatalf("long relay: got %v", err)
	}
}

func TestVerifyHash(t *testing.T) {
	m := sampleMessage(10)
	if err := m.VerifyHash(); err != nil {
		t.Fatal(err)
	}
	m.RelayHash[0] ^= 1
	if err := m.VerifyHash(); !errors.Is(err, ErrMalformedMessage) {
		t.Fatalf("got %v", err)
	}
}

// FuzzDecodeRelayMessage checks that no input makes Decode panic, that both decoders agree, and
// that whatever decodes re-encodes to the same bytes (the format has one encoding per message).
func FuzzDecodeRelayMessage(f *testing.F) {
	m := sampleMessage(64)
	b, _ := m.Encode()
	f.Add(b)
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := Decode(in)
		gotS, errS := DecodeString(string(in))
		if (err == nil) != (errS == nil) {
			t.Fatalf("Decode err %v, DecodeString err %v", err, errS)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformedMessage) {
				t.Fatalf("error %v does not wrap ErrMalformedMessage", err)
			}
			return
		}
		if !equalMessages(got, gotS) {
			t.Fatal("decoders disagree")
		}
		again, err := got.Encode()
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if !bytes.Equal(again, in) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", in, again)
		}
	})
}

// TestWriteFuzzSeeds regenerates the seed corpus with -update-seeds.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*updateSeeds {
		t.Skip("run with -update-seeds to rewrite the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecodeRelayMessage")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tm := sampleMessage(300)
	typical, _ := tm.Encode()
	empty, _ := (&Message{}).Encode()
	seeds := map[string][]byte{
		"typical":        typical,
		"empty-fields":   empty,
		"truncated":      typical[:len(typical)-7],
		"head-only":      typical[:65],
		"bad-version":    append([]byte{9}, typical[1:]...),
		"trailing":       append(bytes.Clone(typical), 1, 2, 3),
		"huge-relay-len": func() []byte { b := bytes.Clone(typical); binary.BigEndian.PutUint32(b[57:], ^uint32(0)); return b }(),
	}
	for name, b := range seeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func BenchmarkMessage(b *testing.B) {
	for _, size := range []int{256, 2048, 16384} {
		m := sampleMessage(size)
		enc, _ := m.Encode()
		s := string(enc)
		b.Run(fmt.Sprintf("encode/%d", size), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(enc)))
			buf := make([]byte, 0, len(enc))
			for b.Loop() {
				buf, _ = m.AppendEncode(buf[:0])
			}
		})
		b.Run(fmt.Sprintf("decode/%d", size), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(enc)))
			for b.Loop() {
				if _, err := Decode(enc); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("decode-string/%d", size), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(enc)))
			for b.Loop() {
				if _, err := DecodeString(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
