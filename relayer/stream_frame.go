package relayer

import (
	"bytes"
	"errors"
)

// Streamed relays (SSE, NDJSON) are answered as a sequence of frames. A frame is one
// marshaled, signed RelayResponse followed by StreamDelimiter; the body of the HTTP answer is
// nothing but frames:
//
//	frame   = RelayResponse bytes || "||POKT_STREAM||"
//	payload = POKTHTTPResponse{status_code: backend status, body_bz: the batch's bytes}
//
// The delimiter is the one poktroll's streaming relay miner (pkg/relayer/proxy/http_stream.go,
// unreleased after v0.1.35) and the gateways built against it split on, so existing clients read
// our frames unchanged. Concatenating the body_bz of every frame, in order, gives the backend's
// stream byte for byte.
//
// A delimiter inside a frame would cut it in two. Signatures and hashes are binary, and the
// delimiter occurring in them by chance is negligible (15 fixed bytes). Backend bytes are not:
// a batch whose bytes contain the delimiter is cut inside every occurrence (streamCuts), so no
// body_bz contains it; the bytes a body_bz is framed by (protobuf tags and lengths, no header
// map) cannot complete it either, because the byte before a body_bz is a length varint preceded
// by tag 0x1a and the byte after it is the payload_hash tag 0x22, none of which is in the
// delimiter's middle.
const StreamDelimiter = "||POKT_STREAM||"

var streamDelim = []byte(StreamDelimiter)

// ErrNoFrame is returned by NextStreamFrame when data holds no complete frame and more data
// may complete one.
var ErrNoFrame = errors.New("no complete stream frame")

// NextStreamFrame splits the first frame off data: it returns the frame's RelayResponse bytes
// and the rest of data. At EOF (atEOF) trailing bytes without a delimiter are a last frame;
// otherwise they return ErrNoFrame. Empty frames are skipped.
func NextStreamFrame(data []byte, atEOF bool) (frame, rest []byte, err error) {
	for {
		i := bytes.Index(data, streamDelim)
		if i < 0 {
			if atEOF && len(data) > 0 {
				return data, nil, nil
			}
			return nil, data, ErrNoFrame
		}
		if i > 0 {
			return data[:i], data[i+len(streamDelim):], nil
		}
		data = data[len(streamDelim):]
	}
}

// streamCuts returns the offsets at which b must be cut so that no piece contains the
// delimiter: one cut in the middle of every occurrence. Nil when b is safe as one piece.
func streamCuts(b []byte) []int {
	var cuts []int
	off := 0
	for {
		i := bytes.Index(b[off:], streamDelim)
		if i < 0 {
			return cuts
		}
		cuts = append(cuts, off+i+len(streamDelim)/2)
		off += i + 1
	}
}

// eventEnd returns the length of the prefix of b made of complete events and how many events
// it holds: SSE events end with a blank line ("\n\n" or "\r\n\r\n"), NDJSON records with "\n".
func eventEnd(b []byte, sse bool) (n, events int) {
	for {
		one := firstEventEnd(b[n:], sse)
		if one == 0 {
			return n, events
		}
		n += one
		events++
	}
}

// nthEventEnd is the end of the k-th complete event of b (of the last one when fewer).
func nthEventEnd(b []byte, sse bool, k int) int {
	n := 0
	for range k {
		one := firstEventEnd(b[n:], sse)
		if one == 0 {
			break
		}
		n += one
	}
	return n
}

// firstEventEnd is the end of the first complete event of b, 0 when there is none.
func firstEventEnd(b []byte, sse bool) int {
	if !sse {
		return bytes.IndexByte(b, '\n') + 1
	}
	k, k2 := bytes.Index(b, lf2), bytes.Index(b, crlf2)
	switch {
	case k < 0 && k2 < 0:
		return 0
	case k2 >= 0 && (k < 0 || k2 < k):
		return k2 + len(crlf2)
	}
	return k + len(lf2)
}

var lf2, crlf2 = []byte("\n\n"), []byte("\r\n\r\n")
