package backend

import (
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"

	sdktypes "github.com/pokt-network/shannon-sdk/types"
	"google.golang.org/protobuf/encoding/protowire"
)

// Response buffer sizes. A buffer starts at initialBufSize and grows while the body is read;
// one that grew past maxPooledBufSize is dropped on Release instead of being pooled, so a rare
// huge response does not pin memory.
const (
	initialBufSize   = 16 << 10
	maxPooledBufSize = 1 << 20
)

// DefaultMaxResponseBytes bounds a backend response body when no WithMaxResponseBytes is given.
const DefaultMaxResponseBytes = 64 << 20

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, initialBufSize); return &b }}

// buffersOut counts body buffers handed out and not yet returned: a leak shows as growth.
var buffersOut atomic.Int64

func getBuf() *[]byte {
	buffersOut.Add(1)
	return bufPool.Get().(*[]byte)
}

func putBuf(b *[]byte) {
	buffersOut.Add(-1)
	if cap(*b) > maxPooledBufSize {
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}

// Response is a backend's answer, body read in full. Body aliases a pooled buffer: it is
// valid until Release, which the holder calls exactly once when it no longer needs Body (nor
// anything serialized without copying from it).
type Response struct {
	StatusCode int
	// Header is the backend's response header without hop-by-hop headers.
	Header http.Header
	Body   []byte
	// Endpoint is the configured index of the endpoint that answered.
	Endpoint string
	// Attempts counts the endpoints tried, this one included.
	Attempts int

	buf *[]byte
}

// Release returns the body buffer to the pool. Body must not be used afterwards. Release is
// idempotent and safe on a nil Response.
func (r *Response) Release() {
	if r == nil || r.buf == nil {
		return
	}
	*r.buf = r.Body[:0] // keep the grown backing array
	putBuf(r.buf)
	r.buf, r.Body = nil, nil
}

// POKT returns the response as a POKTHTTPResponse. Its BodyBz aliases Body (no copy): it is
// valid until Release.
func (r *Response) POKT() *sdktypes.POKTHTTPResponse {
	hdr := make(map[string]*sdktypes.Header, len(r.Header))
	for k, v := range r.Header {
		hdr[k] = &sdktypes.Header{Key: k, Values: v}
	}
	return &sdktypes.POKTHTTPResponse{StatusCode: uint32(r.StatusCode), Header: hdr, BodyBz: r.Body}
}

// AppendPOKT appends the protobuf encoding of the response as a POKTHTTPResponse to dst and
// returns the extended slice: the body is copied once, straight into dst. The bytes are those
// of a deterministic proto.Marshal of POKT() (header keys sorted), so they can be hashed and
// signed as the relay payload.
func (r *Response) AppendPOKT(dst []byte) []byte {
	var stack [32]string
	keys := stack[:0]
	for k := range r.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = slices.Grow(dst, r.pocketSize(keys))
	if r.StatusCode != 0 {
		dst = protowire.AppendTag(dst, 1, protowire.VarintType)
		dst = protowire.AppendVarint(dst, uint64(uint32(r.StatusCode)))
	}
	for _, k := range keys {
		vals := r.Header[k]
		hs := headerSize(k, vals)
		dst = protowire.AppendTag(dst, 2, protowire.BytesType)
		dst = protowire.AppendVarint(dst, uint64(entrySize(k, hs)))
		dst = protowire.AppendTag(dst, 1, protowire.BytesType)
		dst = protowire.AppendString(dst, k)
		dst = protowire.AppendTag(dst, 2, protowire.BytesType)
		dst = protowire.AppendVarint(dst, uint64(hs))
		if k != "" {
			dst = protowire.AppendTag(dst, 1, protowire.BytesType)
			dst = protowire.AppendString(dst, k)
		}
		for _, v := range vals {
			dst = protowire.AppendTag(dst, 2, protowire.BytesType)
			dst = protowire.AppendString(dst, v)
		}
	}
	if len(r.Body) > 0 {
		dst = protowire.AppendTag(dst, 3, protowire.BytesType)
		dst = protowire.AppendBytes(dst, r.Body)
	}
	return dst
}

// POKTSize is the length of AppendPOKT's encoding.
func (r *Response) POKTSize() int {
	var stack [32]string
	keys := stack[:0]
	for k := range r.Header {
		keys = append(keys, k)
	}
	return r.pocketSize(keys)
}

func (r *Response) pocketSize(keys []string) int {
	n := 0
	if r.StatusCode != 0 {
		n += 1 + protowire.SizeVarint(uint64(uint32(r.StatusCode)))
	}
	for _, k := range keys {
		n += 1 + protowire.SizeBytes(entrySize(k, headerSize(k, r.Header[k])))
	}
	if len(r.Body) > 0 {
		n += 1 + protowire.SizeBytes(len(r.Body))
	}
	return n
}

// headerSize is the encoded size of Header{Key: k, Values: vals}.
func headerSize(k string, vals []string) int {
	n := 0
	if k != "" {
		n += 1 + protowire.SizeBytes(len(k))
	}
	for _, v := range vals {
		n += 1 + protowire.SizeBytes(len(v))
	}
	return n
}

// entrySize is the encoded size of a map entry {1: k, 2: Header of size hs}.
func entrySize(k string, hs int) int {
	return 1 + protowire.SizeBytes(len(k)) + 1 + protowire.SizeBytes(hs)
}

// readBody reads body into a pooled buffer. It returns errTooLarge as soon as more than max
// bytes arrive (or Content-Length announces more) without reading the rest.
func readBody(body io.Reader, contentLength, max int64) (*[]byte, error) {
	if contentLength > max {
		return nil, errTooLarge
	}
	bp := getBuf()
	b := *bp
	if contentLength > int64(cap(b)) {
		b = slices.Grow(b, int(contentLength)+1) // +1: see EOF without growing again
	}
	for {
		if len(b) == cap(b) {
			b = slices.Grow(b, min(cap(b), int(max+1)-len(b)))
		}
		n, err := body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if int64(len(b)) > max {
			*bp = b
			putBuf(bp)
			return nil, errTooLarge
		}
		if err == io.EOF {
			*bp = b
			return bp, nil
		}
		if err != nil {
			*bp = b
			putBuf(bp)
			return nil, err
		}
	}
}

// stripHopHeaders deletes connection-level headers from a response header in place.
func stripHopHeaders(h http.Header) {
	for k := range h {
		if hopHeaders[k] && k != "Content-Length" {
			delete(h, k)
		}
	}
}
