package backend

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	sdktypes "github.com/pokt-network/shannon-sdk/types"
)

// Headers are the per-relay context headers sent to the backend. Empty fields are not sent;
// Service defaults to the pool's service.
type Headers struct {
	Supplier           string // Pocket-Supplier: the supplier operator address
	Service            string // Pocket-Service
	Application        string // Pocket-Application
	SessionID          string // Pocket-Session-Id
	SessionStartHeight int64  // Pocket-Session-Start-Height
	SessionEndHeight   int64  // Pocket-Session-End-Height
}

// Context header names.
const (
	HeaderSupplier           = "Pocket-Supplier"
	HeaderService            = "Pocket-Service"
	HeaderApplication        = "Pocket-Application"
	HeaderSessionID          = "Pocket-Session-Id"
	HeaderSessionStartHeight = "Pocket-Session-Start-Height"
	HeaderSessionEndHeight   = "Pocket-Session-End-Height"
)

// hopHeaders are connection-level headers; they are never forwarded in either direction.
// Host and Content-Length are set from the rebuilt request, Expect is not honoured.
var hopHeaders = map[string]bool{
	"Connection": true, "Proxy-Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true,
	"Upgrade": true, "Host": true, "Content-Length": true, "Expect": true,
}

// inbound is a POKTHTTPRequest parsed once per relay, reused by every attempt.
type inbound struct {
	method  string
	path    string // decoded, cleaned, rooted; "" means the endpoint's base path as is
	rawPath string // escaped form when it differs from the default encoding
	query   string // raw query
	header  http.Header
	body    []byte
	// clientAuth is the client's Authorization header, sent to endpoints without credentials.
	clientAuth []string
}

var errBadMethod = errors.New("invalid method")

// parseInbound validates and parses the relay's HTTP request. The URL may be absolute or a
// path; only its path and query are used (the scheme and host are the endpoint's).
func (p *Pool) parseInbound(in *sdktypes.POKTHTTPRequest, h Headers) (*inbound, error) {
	r := &inbound{method: in.GetMethod(), body: in.GetBodyBz()}
	if r.method == "" {
		r.method = http.MethodGet
	} else if !validMethod(r.method) {
		return nil, errBadMethod
	}
	if raw := in.GetUrl(); raw != "" {
		u, err := url.Parse(raw)
		if err != nil {
			return nil, errors.New("invalid url") // the parse error would echo the URL
		}
		r.path, r.rawPath = cleanRequestPath(u)
		r.query = u.RawQuery
	}
	if p.baseQueryKeys != nil && r.query != "" {
		r.query = dropKeys(r.query, p.baseQueryKeys)
	}
	r.header = p.buildHeader(in, h)
	r.clientAuth = r.header["Authorization"]
	return r, nil
}

// cleanRequestPath makes the request path rooted and free of "." and ".." so that it cannot
// climb out of the endpoint's base path. A trailing slash is kept. "/" and "" mean "the base
// path unchanged" and return "".
func cleanRequestPath(u *url.URL) (clean, raw string) {
	if u.Path == "" || u.Path == "/" {
		return "", ""
	}
	clean = cleanRooted(u.Path)
	if u.RawPath != "" {
		raw = cleanRooted(u.EscapedPath())
	}
	return clean, raw
}

func cleanRooted(p string) string {
	c := path.Clean("/" + p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// joinPath appends a cleaned request path to a base path.
func joinPath(base, req string) string {
	switch {
	case req == "":
		if base == "" {
			return "/"
		}
		return base
	case base == "" || base == "/":
		return req
	}
	return strings.TrimSuffix(base, "/") + req
}

// dropKeys removes from a raw query the parameters whose names the endpoint's own query sets:
// configured parameters (often an API key) win over the client's.
func dropKeys(raw string, keys map[string]bool) string {
	q, _ := url.ParseQuery(raw) // malformed pairs are dropped, the rest kept
	for k := range keys {
		q.Del(k)
	}
	return q.Encode()
}

// buildHeader copies the client's headers, without hop-by-hop headers and without any
// Pocket-* header (only the relayer sets those), then adds the static headers and the context
// headers. Authorization is added per endpoint.
func (p *Pool) buildHeader(in *sdktypes.POKTHTTPRequest, h Headers) http.Header {
	hdr := make(http.Header, len(in.GetHeader())+len(p.static)+4)
	for key, v := range in.GetHeader() {
		if v == nil || len(v.Values) == 0 {
			continue
		}
		ck := http.CanonicalHeaderKey(key)
		if hopHeaders[ck] || strings.HasPrefix(ck, "Pocket-") {
			continue
		}
		// Shared with the request (read-only); clipped so a second spelling of the same
		// name appends to a copy.
		if prev := hdr[ck]; prev != nil {
			hdr[ck] = append(prev, v.Values...)
		} else {
			hdr[ck] = slices.Clip(v.Values)
		}
	}
	for _, kv := range p.static {
		hdr[kv.key] = kv.values
	}
	if h.Service == "" || h.Service == p.service {
		hdr[HeaderService] = p.serviceHdr
	} else {
		hdr[HeaderService] = []string{h.Service}
	}
	// One backing array for the per-relay values.
	vals := make([]string, 0, 5)
	vals = setIf(hdr, vals, HeaderSupplier, h.Supplier)
	vals = setIf(hdr, vals, HeaderApplication, h.Application)
	vals = setIf(hdr, vals, HeaderSessionID, h.SessionID)
	if h.SessionStartHeight != 0 {
		vals = setIf(hdr, vals, HeaderSessionStartHeight, strconv.FormatInt(h.SessionStartHeight, 10))
	}
	if h.SessionEndHeight != 0 {
		setIf(hdr, vals, HeaderSessionEndHeight, strconv.FormatInt(h.SessionEndHeight, 10))
	}
	return hdr
}

// setIf sets h[key] to v, when v is not empty, as a one-element slice of vals' backing array.
func setIf(h http.Header, vals []string, key, v string) []string {
	if v == "" {
		return vals
	}
	n := len(vals)
	vals = append(vals, v)
	h[key] = vals[n : n+1 : n+1]
	return vals
}

// newRequest builds the request of one attempt on ep. The header map is shared between
// attempts unless the endpoint's credentials differ from the pool's.
func (ep *endpoint) newRequest(ctx context.Context, r *inbound, hdr http.Header) *http.Request {
	u := &url.URL{Scheme: ep.scheme, Host: ep.host, Path: joinPath(ep.basePath, r.path)}
	if r.rawPath != "" || ep.baseRawPath {
		esc := r.rawPath
		if esc == "" && r.path != "" {
			esc = (&url.URL{Path: r.path}).EscapedPath()
		}
		u.RawPath = joinPath(ep.baseEscaped, esc) // ignored by url.URL unless it encodes Path
	}
	switch {
	case ep.baseQuery == "":
		u.RawQuery = r.query
	case r.query == "":
		u.RawQuery = ep.baseQuery
	default:
		u.RawQuery = ep.baseQuery + "&" + r.query
	}
	req := &http.Request{
		Method:     r.method,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     hdr,
		Host:       ep.host,
	}
	if n := len(r.body); n > 0 {
		req.ContentLength = int64(n)
		req.Body = newBodyReader(r.body)
		req.GetBody = r.getBody
	} else {
		req.Body = http.NoBody
		req.GetBody = getNoBody
	}
	return req.WithContext(ctx)
}

// validMethod reports whether m is an HTTP token.
func validMethod(m string) bool {
	for i := 0; i < len(m); i++ {
		c := m[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func getNoBody() (io.ReadCloser, error) { return http.NoBody, nil }

// bodyReader is a request body over body_bz: one allocation, Close is a no-op.
type bodyReader struct{ bytes.Reader }

func newBodyReader(b []byte) *bodyReader {
	r := &bodyReader{}
	r.Reset(b)
	return r
}

func (*bodyReader) Close() error { return nil }

// getBody is the request's GetBody: the transport calls it to re-send the body on a fresh
// connection.
func (r *inbound) getBody() (io.ReadCloser, error) { return newBodyReader(r.body), nil }
