package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sdktypes "github.com/pokt-network/shannon-sdk/types"
	"google.golang.org/protobuf/proto"
)

// A streamed answer is a sequence of frames, each a marshaled, signed RelayResponse followed
// by StreamDelimiter; its HTTP trailer StreamTrailer carries the response the relay miner
// mines (base64 of a RelayResponse without payload). The relayer package documents the form.
const (
	StreamDelimiter = "||POKT_STREAM||"
	StreamTrailer   = "Pocket-Relay-Response"
)

var streamSep = []byte(StreamDelimiter)

// FrameReader splits a streamed answer into its frames as the bytes arrive.
type FrameReader struct {
	r     io.Reader
	buf   []byte
	eof   bool
	chunk []byte
}

// NewFrameReader reads frames from r.
func NewFrameReader(r io.Reader) *FrameReader { return &FrameReader{r: r, chunk: make([]byte, 32<<10)} }

// Next returns the next frame's RelayResponse bytes, or io.EOF once the answer has ended.
// Bytes after the last delimiter at the end of the answer are a last frame; empty frames are
// skipped.
func (f *FrameReader) Next() ([]byte, error) {
	for {
		for {
			i := bytes.Index(f.buf, streamSep)
			if i < 0 {
				break
			}
			frame := f.buf[:i]
			f.buf = f.buf[i+len(streamSep):]
			if len(frame) > 0 {
				return frame, nil
			}
		}
		if f.eof {
			if len(f.buf) > 0 {
				frame := f.buf
				f.buf = nil
				return frame, nil
			}
			return nil, io.EOF
		}
		n, err := f.r.Read(f.chunk)
		// Keep what is left apart from the bytes returned earlier (they may still be in use).
		f.buf = append(append([]byte(nil), f.buf...), f.chunk[:n]...)
		switch {
		case err == io.EOF:
			f.eof = true
		case err != nil:
			return nil, err
		}
	}
}

// doStream sends a relay asking for a streamed answer and reads it frame by frame, verifying
// every frame's signature, and the trailer's when the relay miner sends one.
func (c *Client) doStream(ctx context.Context, url string, body []byte, pub cryptotypes.PubKey, res *Result) error {
	start := time.Now()
	defer func() { res.Timings.Network = time.Since(start) - res.Timings.Verify }()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fail(CategoryClient, "", "endpoint %q: %w", url, err)
	}
	hreq.Header.Set("Content-Type", "application/x-protobuf")
	hreq.Header.Set("Rpc-Type", strconv.Itoa(int(c.rpcType)))
	resp, err := c.http.Do(hreq)
	if err != nil {
		return &Error{Category: CategoryTransport, Err: err}
	}
	defer resp.Body.Close()
	res.HTTPStatus = resp.StatusCode
	lim := io.LimitReader(resp.Body, c.cfg.MaxResponseBytes+1)
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(lim)
		return fail(CategoryHTTPStatus, "miner_"+strconv.Itoa(resp.StatusCode), "relay miner answered %s: %s", resp.Status, snippet(raw))
	}
	res.ContentType = resp.Header.Get("Content-Type")
	sv := &streamVerifier{header: res, pub: pub}
	fr := NewFrameReader(lim)
	var total int64
	for {
		frame, err := fr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return &Error{Category: CategoryTransport, Err: fmt.Errorf("read frame %d: %w", res.Frames, err)}
		}
		if total += int64(len(frame)); total > c.cfg.MaxResponseBytes {
			return fail(CategoryTransport, "", "answer larger than %d bytes", c.cfg.MaxResponseBytes)
		}
		if res.Frames == 0 {
			res.FirstFrame = time.Since(start)
		}
		vstart := time.Now()
		err = sv.frame(frame)
		res.Timings.Verify += time.Since(vstart)
		if err != nil {
			return err
		}
	}
	if res.Frames == 0 {
		return fail(CategoryDecode, "", "the streamed answer holds no frame")
	}
	res.SignatureVerified = true
	if tr := resp.Trailer.Get(StreamTrailer); tr != "" {
		if err := verifyTrailer(tr, pub); err != nil {
			res.SignatureVerified = false
			return err
		}
		res.TrailerVerified = true
	}
	if s := res.HTTP.StatusCode; s >= 400 {
		return fail(CategoryHTTPStatus, "backend_"+strconv.Itoa(int(s)), "backend answered %d: %s", s, snippet(res.HTTP.BodyBz))
	}
	return nil
}

// streamVerifier checks the frames of one streamed answer and reassembles the backend's bytes
// into res.HTTP (the first frame's status and headers, every frame's body in order).
type streamVerifier struct {
	header *Result
	pub    cryptotypes.PubKey
}

// frame verifies one frame (VerifyResponse: this session, payload hash, supplier signature)
// and appends its body.
func (v *streamVerifier) frame(raw []byte) error {
	res := v.header
	resp, err := VerifyResponse(raw, res.Header, v.pub)
	if resp != nil {
		res.Response = resp
	}
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Err = fmt.Errorf("frame %d: %w", res.Frames, e.Err)
		}
		return err
	}
	hr := &sdktypes.POKTHTTPResponse{}
	if err := proto.Unmarshal(resp.Payload, hr); err != nil {
		return fail(CategoryDecode, "", "frame %d: payload is not a POKTHTTPResponse: %w", res.Frames, err)
	}
	if res.HTTP == nil {
		res.HTTP = &sdktypes.POKTHTTPResponse{StatusCode: hr.StatusCode, Header: hr.Header}
	}
	res.HTTP.BodyBz = append(res.HTTP.BodyBz, hr.BodyBz...)
	res.Frames++
	return nil
}

// VerifyStreamFrames verifies every frame of a whole streamed answer (VerifyResponse each)
// and returns how many there were; the first failure names its frame.
func VerifyStreamFrames(body []byte, res *Result, pub cryptotypes.PubKey) (int, error) {
	sv := &streamVerifier{header: res, pub: pub}
	fr := NewFrameReader(bytes.NewReader(body))
	for {
		frame, err := fr.Next()
		if errors.Is(err, io.EOF) {
			return res.Frames, nil
		}
		if err != nil {
			return res.Frames, err
		}
		if err := sv.frame(frame); err != nil {
			return res.Frames, err
		}
	}
}

// verifyTrailer checks the mined response of a stream: a RelayResponse (its payload left out,
// its payload_hash covering the whole stream) signed by the supplier.
func verifyTrailer(b64 string, pub cryptotypes.PubKey) error {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return fail(CategoryDecode, "", "trailer %s is not base64: %w", StreamTrailer, err)
	}
	mined := &servicetypes.RelayResponse{}
	if err := mined.Unmarshal(raw); err != nil {
		return fail(CategoryDecode, "", "trailer %s is not a RelayResponse: %w", StreamTrailer, err)
	}
	if pub == nil {
		return fail(CategorySignatureInvalid, "", "no public key for the supplier")
	}
	if err := mined.VerifySupplierOperatorSignature(pub); err != nil {
		return &Error{Category: CategorySignatureInvalid, Err: fmt.Errorf("trailer %s: supplier signature: %w", StreamTrailer, err)}
	}
	return nil
}
