package transport

import (
	"bytes"
	"testing"

	servicetypes "github.com/pokt-network/poktroll/x/service/types"
	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
)

// TestMessageCarriesPoktrollRelay builds the message the way the relayer does (dehydrate,
// Marshal, hash) and checks that the miner gets back bytes that unmarshal to the same relay and a
// hash equal to poktroll's Relay.GetHash.
func TestMessageCarriesPoktrollRelay(t *testing.T) {
	hdr := &sessiontypes.SessionHeader{
		ApplicationAddress: "pokt1mrqt5f7qh8uxs27cjm9t7v9e74a9vvdnq5jva4", ServiceId: "anvil",
		SessionId:               "f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f",
		SessionStartBlockHeight: 11, SessionEndBlockHeight: 20,
	}
	relay := &servicetypes.Relay{
		Req: &servicetypes.RelayRequest{
			Meta: servicetypes.RelayRequestMetadata{
				SessionHeader: hdr, Signature: bytes.Repeat([]byte{7}, 130),
				SupplierOperatorAddress: "pokt19a3t4yunp0dlpfjrp7qwnzwlrzd5fzs2gjaaaj",
			},
			Payload: []byte(`{"jsonrpc":"2.0","method":"eth_blockNumber","id":1}`),
		},
		Res: &servicetypes.RelayResponse{
			Meta:        servicetypes.RelayResponseMetadata{SessionHeader: hdr, SupplierOperatorSignature: bytes.Repeat([]byte{9}, 64)},
			Payload:     []byte(`{"jsonrpc":"2.0","result":"0x10","id":1}`),
			PayloadHash: bytes.Repeat([]byte{1}, 32),
		},
	}
	relay.Res.Payload = nil // dehydrate (PROTOCOL.md §2.4)
	relayBz, err := relay.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want, err := relay.GetHash()
	if err != nil {
		t.Fatal(err)
	}
	m := Message{
		Relay: relayBz, RelayHash: HashRelay(relayBz), ComputeUnitsPerRelay: 1,
		Supplier: relay.Req.Meta.SupplierOperatorAddress, Application: hdr.ApplicationAddress,
		ServiceID: hdr.ServiceId, SessionID: hdr.SessionId,
		SessionStartHeight: hdr.SessionStartBlockHeight, SessionEndHeight: hdr.SessionEndBlockHeight,
	}
	if m.RelayHash != want {
		t.Fatal("HashRelay differs from poktroll's Relay.GetHash")
	}
	enc, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("encoded message: %d bytes for a %d-byte relay", len(enc), len(relayBz))
	got, err := DecodeString(string(enc))
	if err != nil {
		t.Fatal(err)
	}
	if err := got.VerifyHash(); err != nil {
		t.Fatal(err)
	}
	var back servicetypes.Relay
	if err := back.Unmarshal(got.Relay); err != nil {
		t.Fatal(err)
	}
	if again, _ := back.Marshal(); !bytes.Equal(again, relayBz) {
		t.Fatal("relay bytes do not survive the round trip")
	}
}
