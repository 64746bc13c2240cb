package miner

import (
	"fmt"
	"testing"

	sessiontypes "github.com/pokt-network/poktroll/x/session/types"
	sharedtypes "github.com/pokt-network/poktroll/x/shared/types"
)

// testSharedParams returns shared params with the given session length and window offsets.
func testSharedParams(n, grace, co, cc, po, pc int64) *sharedtypes.Params {
	p := sharedtypes.DefaultParams()
	p.NumBlocksPerSession = uint64(n)
	p.GracePeriodEndOffsetBlocks = uint64(grace)
	p.ClaimWindowOpenOffsetBlocks = uint64(co)
	p.ClaimWindowCloseOffsetBlocks = uint64(cc)
	p.ProofWindowOpenOffsetBlocks = uint64(po)
	p.ProofWindowCloseOffsetBlocks = uint64(pc)
	return &p
}

// hashFields turns the HSET arguments of a record into what HGETALL returns.
func hashFields(t *testing.T, fs []any) map[string]string {
	t.Helper()
	m := make(map[string]string, len(fs)/2)
	for i := 0; i < len(fs); i += 2 {
		switch v := fs[i+1].(type) {
		case []byte:
			m[fs[i].(string)] = string(v)
		default:
			m[fs[i].(string)] = fmt.Sprint(v)
		}
	}
	return m
}

// takeover encodes the rig's session as the store would, and decodes it as a new owner does.
func (r *lifecycleRig) takeover(t *testing.T) {
	t.Helper()
	rec := Record{Supplier: "pokt1supplier", Windows: r.w, Session: r.s, Header: &sessiontypes.SessionHeader{
		ApplicationAddress: "pokt1app", ServiceId: "svc", SessionId: r.s.ID,
		SessionStartBlockHeight: r.w.Start, SessionEndBlockHeight: r.w.End,
	}}
	fs, err := rec.fields(0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseRecord(rec.Supplier, r.s.ID, hashFields(t, fs))
	if err != nil {
		t.Fatal(err)
	}
	r.s, r.w = got.Session, got.Windows
}
