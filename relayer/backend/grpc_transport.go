package backend

import "net/http"

// useHTTP2Only makes tr speak HTTP/2 only, as gRPC requires: prior-knowledge h2c for http
// endpoints (a gRPC server on a plaintext port does not offer an HTTP/1.1 upgrade) and h2 over
// TLS for https ones. It is applied to the endpoints of grpc backends, whose answers also carry
// HTTP/2 trailers (grpc-status) that the relayer reads after the body.
func useHTTP2Only(tr *http.Transport) {
	var p http.Protocols
	p.SetHTTP2(true)
	p.SetUnencryptedHTTP2(true)
	tr.Protocols = &p
}
