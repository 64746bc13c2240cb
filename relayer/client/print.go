package client

import (
	"fmt"
	"io"
	"strings"
	"time"

	sdktypes "github.com/pokt-network/shannon-sdk/types"
	"google.golang.org/protobuf/proto"
)

// maxPrintedBody bounds the bodies WriteResult prints.
const maxPrintedBody = 64 << 10

// WriteResult prints one relay for a human: the request, the decoded response (status,
// headers, body), the per-phase timings and whether the supplier's signature verified.
// relayErr is what Do returned with res.
func WriteResult(w io.Writer, res *Result, relayErr error) {
	if res == nil {
		fmt.Fprintf(w, "relay failed before sending: %v\n", relayErr)
		return
	}
	p := &printer{w: w}
	p.line("Request")
	p.kv("endpoint", res.Endpoint)
	p.kv("supplier", res.Supplier)
	if h := res.Header; h != nil {
		p.kv("session", fmt.Sprintf("%s (blocks %d-%d)", h.SessionId, h.SessionStartBlockHeight, h.SessionEndBlockHeight))
		p.kv("application", h.ApplicationAddress)
		p.kv("service", h.ServiceId)
	}
	if res.Request != nil && res.Transport == TransportWebSocket {
		p.kv("frame", "binary message: the signed RelayRequest")
		p.body(res.Request.Payload)
	} else if res.Request != nil {
		hr := &sdktypes.POKTHTTPRequest{}
		if proto.Unmarshal(res.Request.Payload, hr) == nil {
			p.kv("http", hr.Method+" "+hr.Url)
			p.headers(hr.Header)
			if res.Transport == TransportGRPC {
				p.grpcBody(hr.BodyBz)
			} else {
				p.body(hr.BodyBz)
			}
		}
		p.kv("relay request", fmt.Sprintf("%d bytes, ring signature %d bytes", res.RequestBytes, len(res.Request.Meta.Signature)))
	}
	p.line("Response")
	if res.HTTPStatus != 0 {
		p.kv("relay miner", fmt.Sprintf("HTTP %d", res.HTTPStatus))
	}
	switch res.Transport {
	case TransportWebSocket:
		p.kv("responses", fmt.Sprintf("%d signed binary messages", res.Frames))
		if res.Resent {
			p.kv("resent", "the first connection closed before an answer; sent again on a new one")
		}
		for _, m := range res.Messages {
			p.body(m)
		}
	case TransportStream:
		p.kv("content-type", res.ContentType)
		p.kv("frames", fmt.Sprintf("%d, every one signed (the body below is their bodies in order)", res.Frames))
		p.kv("trailer", map[bool]string{true: StreamTrailer + " verified (the mined response)", false: "none verified"}[res.TrailerVerified])
	default:
		if r := res.Response; r != nil {
			p.kv("payload", fmt.Sprintf("%d bytes, payload_hash %x", len(r.Payload), r.PayloadHash))
		}
	}
	if hr := res.HTTP; hr != nil {
		p.kv("status", fmt.Sprintf("%d", hr.StatusCode))
		p.headers(hr.Header)
		if res.Transport == TransportGRPC {
			p.grpcBody(hr.BodyBz)
		} else {
			p.body(hr.BodyBz)
		}
	}
	if res.Transport == TransportGRPC && res.GRPCStatus != "" {
		p.kv("grpc-status", strings.TrimSpace(res.GRPCStatus+" "+res.GRPCMessage))
	}
	p.kv("signature", verdict(res.SignatureVerified))
	t := res.Timings
	p.line("Timings")
	p.kv("build", ms(t.Build))
	p.kv("sign", ms(t.Sign))
	if res.Transport == TransportStream && res.Frames > 0 {
		p.kv("first frame", ms(res.FirstFrame))
	}
	p.kv("network", ms(t.Network))
	p.kv("verify", ms(t.Verify))
	p.kv("total", ms(t.Build+t.Sign+t.Network+t.Verify))
	if relayErr != nil {
		p.line("Error")
		p.kv("error", relayErr.Error())
	}
}

func verdict(ok bool) string {
	if ok {
		return "verified (supplier operator key from x/auth)"
	}
	return "NOT verified"
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond)) }

type printer struct{ w io.Writer }

func (p *printer) line(s string)  { fmt.Fprintln(p.w, s) }
func (p *printer) kv(k, v string) { fmt.Fprintf(p.w, "  %-14s %s\n", k+":", v) }
func (p *printer) headers(h map[string]*sdktypes.Header) {
	for _, k := range sortedHeaderKeys(h) {
		p.kv("header", k+": "+strings.Join(h[k].Values, ", "))
	}
}

// grpcBody prints length-prefixed gRPC messages in hex (they are binary protobuf).
func (p *printer) grpcBody(b []byte) {
	shown := b
	if len(shown) > 1024 {
		shown = shown[:1024]
	}
	p.kv("body", fmt.Sprintf("%d bytes (length-prefixed gRPC messages): %x", len(b), shown))
}

func (p *printer) body(b []byte) {
	if len(b) == 0 {
		p.kv("body", "(empty)")
		return
	}
	s := string(b)
	if len(s) > maxPrintedBody {
		s = s[:maxPrintedBody] + fmt.Sprintf("… (%d bytes in all)", len(b))
	}
	p.kv("body", strings.TrimRight(s, "\n"))
}
