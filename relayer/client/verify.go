package client

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strconv"

	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	sdktypes "github.com/pokt-network/shannon-sdk/types"
	"google.golang.org/protobuf/proto"
)

// verify decodes a relay miner's answer to the request in res and checks it came from the
// supplier whose operator key is pub. It fills res.Response, res.HTTP and
// res.SignatureVerified.
func verify(raw []byte, res *Result, pub cryptotypes.PubKey) error {
	resp, err := VerifyResponse(raw, res.Header, pub)
	res.Response = resp
	if err != nil {
		return err
	}
	res.SignatureVerified = true
	hr := &sdktypes.POKTHTTPResponse{}
	if err := proto.Unmarshal(resp.Payload, hr); err != nil {
		return fail(CategoryDecode, "", "response payload is not a POKTHTTPResponse: %w", err)
	}
	res.HTTP = hr
	if hr.StatusCode >= 400 {
		return fail(CategoryHTTPStatus, "backend_"+strconv.Itoa(int(hr.StatusCode)), "backend answered %d: %s", hr.StatusCode, snippet(hr.BodyBz))
	}
	return nil
}

// VerifyResponse decodes a RelayResponse and checks, in order: that it carries no
// RelayMinerError, that it is well formed, that it answers the session of want (same session
// id, application and service), that payload_hash is the SHA-256 of the payload (when set:
// the signature then covers the hash, not the payload — PROTOCOL §2.3), and that the
// supplier operator's signature verifies with pub. The decoded response is returned even on
// error when decoding succeeded.
func VerifyResponse(raw []byte, want *sessiontypes.SessionHeader, pub cryptotypes.PubKey) (*servicetypes.RelayResponse, error) {
	resp := &servicetypes.RelayResponse{}
	if len(raw) == 0 {
		return nil, fail(CategoryDecode, "", "empty answer")
	}
	if err := resp.Unmarshal(raw); err != nil {
		return nil, fail(CategoryDecode, "", "answer is not a RelayResponse (%d bytes): %w", len(raw), err)
	}
	if e := resp.RelayMinerError; e != nil {
		code := e.Codespace + "/" + strconv.FormatUint(uint64(e.Code), 10)
		return resp, fail(CategoryRelayMinerError, code, "%s: %s", e.Description, e.Message)
	}
	// Not ValidateBasic: it checks addresses against the process-wide bech32 prefix.
	h := resp.Meta.SessionHeader
	if h == nil || h.SessionId == "" {
		return resp, fail(CategoryDecode, "", "response has no session header")
	}
	if len(resp.Meta.SupplierOperatorSignature) == 0 {
		return resp, fail(CategorySignatureInvalid, "", "response carries no supplier signature: %s", snippet(resp.Payload))
	}
	if want != nil && (h.SessionId != want.SessionId ||
		h.ApplicationAddress != want.ApplicationAddress || h.ServiceId != want.ServiceId) {
		return resp, fail(CategorySignatureInvalid, "", "response is for session %s of %s/%s, the request for %s",
			h.SessionId, h.ApplicationAddress, h.ServiceId, want.SessionId)
	}
	if resp.PayloadHash != nil {
		sum := sha256.Sum256(resp.Payload)
		if !bytes.Equal(sum[:], resp.PayloadHash) {
			return resp, fail(CategorySignatureInvalid, "", "payload does not match payload_hash")
		}
	}
	if pub == nil {
		return resp, fail(CategorySignatureInvalid, "", "no public key for the supplier")
	}
	if err := resp.VerifySupplierOperatorSignature(pub); err != nil {
		return resp, &Error{Category: CategorySignatureInvalid, Err: fmt.Errorf("supplier signature: %w", err)}
	}
	return resp, nil
}
