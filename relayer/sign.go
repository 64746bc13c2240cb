package relayer

import (
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
)

// signResponse builds the RelayResponse for payload (a serialized POKTHTTPResponse), sets
// payload_hash and signs it: the one signature of the relay (PROTOCOL §2.3). Because
// payload_hash is set, the signature covers the header, the payload hash and no error; the
// payload itself can be stripped for mining without breaking it.
func signResponse(s Signer, h *sessiontypes.SessionHeader, payload []byte) (*servicetypes.RelayResponse, error) {
	resp := &servicetypes.RelayResponse{
		Meta:    servicetypes.RelayResponseMetadata{SessionHeader: h},
		Payload: payload,
	}
	if err := resp.UpdatePayloadHash(); err != nil {
		return nil, rejectWrap(reasonInternal, err)
	}
	hash, err := resp.GetSignableBytesHash()
	if err != nil {
		return nil, rejectWrap(reasonInternal, err)
	}
	sig, err := s.Sign(hash[:])
	if err != nil {
		return nil, reject(reasonInternal, "sign response: %w", err)
	}
	resp.Meta.SupplierOperatorSignature = sig
	return resp, nil
}

// dehydratedRelay returns the Relay bytes that enter the session tree: the request as
// decoded and the response exactly as sent, without its payload (PROTOCOL §2.4). It clears
// resp.Payload.
func dehydratedRelay(req *servicetypes.RelayRequest, resp *servicetypes.RelayResponse) ([]byte, error) {
	resp.Payload = nil
	relay := servicetypes.Relay{Req: req, Res: resp}
	return relay.Marshal()
}
