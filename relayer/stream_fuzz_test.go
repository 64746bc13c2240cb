package relayer

import (
	"bytes"
	"testing"
)

// FuzzStreamFrame: the frame parser never panics, never yields a frame holding the delimiter,
// and batches cut by streamCuts frame back to the exact stream.
func FuzzStreamFrame(f *testing.F) {
	f.Add([]byte("a||POKT_STREAM||b||POKT_STREAM||"), true)
	f.Add([]byte("||POKT_STREAM||||POKT_STREAM||x"), false)
	f.Add([]byte("data: ||POKT_STREAM||POKT_STREAM||\n\n"), true)
	f.Add([]byte("id: 1\r\ndata: x\r\n\r\n{\"n\":1}\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, sse bool) {
		rest := data
		for {
			frame, r, err := NextStreamFrame(rest, true)
			if err != nil {
				break
			}
			if len(frame) == 0 || bytes.Contains(frame, streamDelim) {
				t.Fatalf("frame %q", frame)
			}
			if len(r) >= len(rest) {
				t.Fatal("no progress")
			}
			rest = r
			if len(rest) == 0 {
				break
			}
		}
		// Framing pieces and parsing them back gives the pieces. On the wire a piece (body_bz)
		// is preceded by its tag and length and followed by the payload_hash tag (0x22); the
		// model keeps one byte on each side, which is what the framing argument relies on.
		cuts := append(streamCuts(data), len(data))
		var wire, joined []byte
		prev := 0
		for _, c := range cuts {
			piece := data[prev:c]
			if bytes.Contains(piece, streamDelim) {
				t.Fatalf("piece %q holds the delimiter", piece)
			}
			joined = append(joined, piece...)
			wire = append(append(append(append(wire, 0x1a), piece...), 0x22), streamDelim...)
			prev = c
		}
		if !bytes.Equal(joined, data) {
			t.Fatal("cuts lose bytes")
		}
		var back []byte
		for rest := wire; ; {
			frame, r, err := NextStreamFrame(rest, true)
			if err != nil || frame == nil {
				break
			}
			back, rest = append(back, frame[1:len(frame)-1]...), r
		}
		if !bytes.Equal(back, data) {
			t.Fatalf("round trip %q != %q", back, data)
		}
		// Event boundaries are monotone and within data.
		n, events := eventEnd(data, sse)
		if n > len(data) || (events == 0) != (n == 0) || nthEventEnd(data, sse, events) != n {
			t.Fatalf("eventEnd %d %d", n, events)
		}
	})
}

// FuzzGRPCMessages: the gRPC message parser never panics, stays in bounds, and a parse of
// uncompressed messages re-encodes to the same bytes.
func FuzzGRPCMessages(f *testing.F) {
	f.Add(AppendGRPCMessage(AppendGRPCMessage(nil, []byte("hi")), nil))
	f.Add([]byte{1, 0, 0, 0, 1, 7})
	f.Add([]byte{0, 255, 255, 255, 255})
	f.Add([]byte{2, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, body []byte) {
		msgs, err := GRPCMessages(body, 1<<16)
		if err != nil {
			return
		}
		var re []byte
		for _, m := range msgs {
			if len(m.Data) > 1<<16 {
				t.Fatal("message over the limit")
			}
			re = AppendGRPCMessage(re, m.Data)
			if m.Compressed {
				re[len(re)-len(m.Data)-5] = 1
			}
		}
		if !bytes.Equal(re, body) {
			t.Fatalf("re-encoded %x != %x", re, body)
		}
	})
}
