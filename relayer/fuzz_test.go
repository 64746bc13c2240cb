package relayer

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	servicetypes "github.com/pokt-network/poktroll/x/service/types"
)

// fuzzSeeds are valid, truncated and corrupted relay requests.
func fuzzSeeds(f *fixture) [][]byte {
	valid := f.body(f.request(nil))
	noSig := f.request(nil)
	noSig.Meta.Signature = nil
	return [][]byte{
		valid, valid[:len(valid)/2], f.body(noSig), {}, {0x0a}, {0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f},
		bytes.Repeat([]byte{0x12, 0x00}, 64), append(append([]byte(nil), valid...), 0x99),
	}
}

// FuzzParseRelayRequest: any body either decodes to a basic-valid request or yields a
// malformed/invalid_request rejection whose error reply marshals; never a panic.
func FuzzParseRelayRequest(f *testing.F) {
	fx := newFixture(f)
	for _, s := range fuzzSeeds(fx) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := parseRelayRequest(b)
		if err == nil {
			if req.ValidateBasic() != nil {
				t.Fatal("accepted a request that fails ValidateBasic")
			}
			return
		}
		if r := reasonOf(err); r != reasonMalformed && r != reasonInvalidRequest {
			t.Fatalf("reason %s", r)
		}
		if _, mErr := errorResponse(err, headerOf(req)).Marshal(); mErr != nil {
			t.Fatalf("error reply does not marshal: %v", mErr)
		}
	})
}

// FuzzServeRelay: whatever the body, the answer is HTTP 200 with a RelayResponse that is either
// a protocol error reply or a correctly signed response.
func FuzzServeRelay(f *testing.F) {
	fx := newFixture(f)
	for _, s := range fuzzSeeds(fx) {
		f.Add(s, "")
		f.Add(s, "1") // WebSocket (2) upgrades are fuzzed by FuzzWebSocketFrame
	}
	f.Fuzz(func(t *testing.T, b []byte, rpcType string) {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(b))
		if rpcType != "" {
			r.Header.Set(rpcTypeHeader, rpcType)
		}
		w := httptest.NewRecorder()
		fx.srv.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("HTTP %d", w.Code)
		}
		var resp servicetypes.RelayResponse
		if err := resp.Unmarshal(w.Body.Bytes()); err != nil {
			t.Fatalf("reply does not decode: %v", err)
		}
		if e := resp.RelayMinerError; e != nil {
			if e.Codespace == "" || e.Message != string(resp.Payload) || len(resp.Meta.SupplierOperatorSignature) != 0 {
				t.Fatalf("malformed error reply %+v", e)
			}
			return
		}
		if err := resp.VerifySupplierOperatorSignature(fx.supKey.PubKey()); err != nil {
			t.Fatalf("success reply without a valid signature: %v", err)
		}
	})
}
