package blocks

import (
	"bytes"
	"testing"
	"time"
)

// FuzzDecodeBlockMessage feeds arbitrary pub/sub payloads to the blocks-channel decoder: it must
// never panic, and anything it accepts must survive an encode/decode round trip unchanged.
func FuzzDecodeBlockMessage(f *testing.F) {
	f.Add(encode(Block{Height: 42, Hash: bytes.Repeat([]byte{0xab}, 32), Time: time.Unix(1700000000, 5).UTC()}))
	f.Add("1 00 0")
	f.Add("")
	f.Add("-1 zz 1")
	f.Add("9223372036854775807 ff -9223372036854775808")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := decode(s)
		if err != nil {
			return
		}
		if b.Height <= 0 || len(b.Hash) == 0 {
			t.Fatalf("accepted an invalid block %+v from %q", b, s)
		}
		again, err := decode(encode(b))
		if err != nil || again.Height != b.Height || !bytes.Equal(again.Hash, b.Hash) || !again.Time.Equal(b.Time) {
			t.Fatalf("round trip changed %+v into %+v (%v)", b, again, err)
		}
	})
}

// FuzzParseEvent feeds arbitrary websocket messages to the event parser: no panic, and an
// accepted event always has a positive height.
func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"result":{}}`))
	f.Add([]byte(`{"result":{"data":{"type":"tendermint/event/NewBlockHeader","value":{"header":{"height":"7"}}}}}`))
	f.Add([]byte(`{"result":{"data":{"type":"x","value":{"header":{"height":"-3"}}}}}`))
	f.Add([]byte(`{"error":{"message":"boom","data":"d"}}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, msg []byte) {
		b, isEvent, err := parseEvent(msg)
		if err != nil || !isEvent {
			return
		}
		if b.Height <= 0 {
			t.Fatalf("accepted event with height %d from %q", b.Height, msg)
		}
	})
}
