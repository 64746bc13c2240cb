package inspect

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// table writes aligned columns, one line per row.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cols ...string) { fmt.Fprintln(t.tw, strings.Join(cols, "\t")) }
func (t *table) flush() error       { return t.tw.Flush() }

func itoa[T int | int64 | uint64](v T) string { return strconv.FormatInt(int64(v), 10) }

// ttl renders a millisecond TTL; -1 means no expiry and -2 no key.
func ttl(ms int64) string {
	switch ms {
	case -1:
		return "none"
	case -2:
		return "-"
	}
	return (time.Duration(ms) * time.Millisecond).Round(time.Second).String()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// short abbreviates long ids and hex in tables; --json has them whole.
func short(s string) string {
	if len(s) <= 20 {
		return dash(s)
	}
	return s[:8] + "…" + s[len(s)-8:]
}

// Table writes the sessions, one per line.
func (s *Sessions) Table(w io.Writer) error {
	t := newTable(w, "SUPPLIER", "SESSION", "SERVICE", "APP", "START", "END", "STATE", "REASON", "ROOT", "CLAIMS", "PROOFS", "ERROR")
	for _, r := range s.Sessions {
		t.row(short(r.Supplier), short(r.SessionID), r.Service, short(r.Application), itoa(r.StartHeight),
			itoa(r.EndHeight), r.State, dash(r.Reason), short(r.Root), itoa(r.ClaimAttempts), itoa(r.ProofAttempts), dash(r.Error))
	}
	for _, e := range s.Expired {
		t.row(e, "(expired)")
	}
	return t.flush()
}

// Table writes the tree summary.
func (tr *Tree) Table(w io.Writer) error {
	t := newTable(w, "FIELD", "VALUE")
	t.row("supplier", tr.Supplier)
	t.row("session", tr.SessionID)
	if !tr.Exists {
		t.row("committed", "no")
		return t.flush()
	}
	t.row("root", tr.Root)
	t.row("count", itoa(tr.Count))
	t.row("sum", itoa(tr.Sum))
	t.row("cupr", itoa(tr.CUPR))
	t.row("service", tr.Service)
	t.row("application", tr.Application)
	t.row("heights", itoa(tr.StartHeight)+"-"+itoa(tr.EndHeight))
	t.row("nodes", itoa(tr.Nodes))
	t.row("ttl", ttl(tr.MetaTTLMs))
	return t.flush()
}

// Table writes one line per consumer group of each stream (one for a stream without groups).
func (s *Streams) Table(w io.Writer) error {
	t := newTable(w, "SUPPLIER", "LENGTH", "LAST_ID", "GROUP", "CONSUMERS", "PENDING", "LAG", "LAST_DELIVERED")
	for _, st := range s.Streams {
		if len(st.Groups) == 0 {
			t.row(st.Supplier, itoa(st.Length), dash(st.LastID), "-", "0", "0", "-", "-")
		}
		for _, g := range st.Groups {
			names := make([]string, len(g.Consumers))
			for i, c := range g.Consumers {
				names[i] = c.Name + "(" + itoa(c.Pending) + ")"
			}
			t.row(st.Supplier, itoa(st.Length), dash(st.LastID), g.Name, dash(strings.Join(names, ",")),
				itoa(g.Pending), itoa(g.Lag), g.LastDeliveredID)
		}
	}
	return t.flush()
}

// Table writes the lease and one line per replica.
func (l *Leader) Table(w io.Writer) error {
	t := newTable(w, "ROLE", "ID", "TOKEN", "TTL", "LAST_HEARTBEAT", "AGE")
	holder := l.Lease.Holder
	if !l.Lease.Held {
		holder = "(none)"
	}
	t.row("leader:"+l.Duty, holder, itoa(l.Lease.Token), ttl(l.Lease.TTLMs), "-", "-")
	for _, r := range l.Replicas {
		t.row("replica", r.ID, "-", "-", r.LastHeartbeat.Format(time.RFC3339Nano),
			(time.Duration(r.AgeMs) * time.Millisecond).String())
	}
	return t.flush()
}

// Table writes one line per supplier.
func (s *Suppliers) Table(w io.Writer) error {
	t := newTable(w, "SUPPLIER", "OWNER", "TOKEN", "TTL", "FENCE")
	for _, r := range s.Suppliers {
		owner := r.Holder
		if !r.Held {
			owner = "(none)"
		}
		t.row(r.Supplier, owner, itoa(r.Token), ttl(r.TTLMs), itoa(r.FenceCounter))
	}
	return t.flush()
}

// Table writes one line per meter key.
func (m *Meters) Table(w io.Writer) error {
	t := newTable(w, "SUPPLIER", "SESSION", "CONSUMED_UPOKT", "TTL")
	for _, r := range m.Meters {
		t.row(r.Supplier, r.SessionID, itoa(r.ConsumedUpokt), ttl(r.TTLMs))
	}
	return t.flush()
}

// Table writes one line per tx of each submission (one for a submission without txs).
func (s *Submissions) Table(w io.Writer) error {
	t := newTable(w, "STARTED", "KIND", "INCLUDED", "TX", "HEIGHT", "OUTCOME", "ERROR")
	for _, sub := range s.Submissions {
		inc := itoa(sub.Included()) + "/" + itoa(len(sub.Messages))
		start := sub.StartedAt.UTC().Format(time.RFC3339)
		if len(sub.Txs) == 0 {
			t.row(start, string(sub.Kind), inc, "-", "-", "-", "-")
		}
		for _, x := range sub.Txs {
			t.row(start, string(sub.Kind), inc, dash(x.Hash), itoa(x.Height), string(x.Outcome), dash(x.Error))
		}
	}
	return t.flush()
}

// Table writes one line per entry and the live-set sizes.
func (c *CacheList) Table(w io.Writer) error {
	t := newTable(w, "KIND", "KEY", "BYTES", "TTL")
	for _, e := range c.Entries {
		t.row(e.Kind, e.Key, itoa(e.Bytes), ttl(e.TTLMs))
	}
	for _, k := range sortedKeys(c.Live) {
		t.row(k, "(live set)", itoa(c.Live[k])+" keys", "-")
	}
	return t.flush()
}

// Table writes the entry's metadata and its decoded value.
func (e *CacheEntry) Table(w io.Writer) error {
	t := newTable(w, "FIELD", "VALUE")
	t.row("entry", e.Kind+":"+e.Key)
	if !e.Exists {
		t.row("exists", "no")
		return t.flush()
	}
	t.row("bytes", itoa(e.Bytes))
	t.row("ttl", ttl(e.TTLMs))
	t.row("locked", strconv.FormatBool(e.Locked))
	if e.LastUse > 0 {
		t.row("live last load", time.UnixMilli(e.LastUse).UTC().Format(time.RFC3339))
	}
	if e.Error != "" {
		t.row("decode error", e.Error)
	}
	if len(e.Value) > 0 {
		t.row("value", string(e.Value))
	} else {
		t.row("hex", e.Hex)
	}
	return t.flush()
}

// Table writes one line per family and the total.
func (k *KeyStats) Table(w io.Writer) error {
	t := newTable(w, "FAMILY", "KEYS", "MEMORY_BYTES")
	for _, f := range k.Families {
		t.row(f.Family, itoa(f.Keys), itoa(f.MemoryBytes))
	}
	t.row("total", itoa(k.Keys), itoa(k.MemoryBytes))
	return t.flush()
}

// Table writes one line per key the flush deleted or would delete, then the kept streams.
func (p *FlushPlan) Table(w io.Writer) error {
	t := newTable(w, "ACTION", "KEY")
	verb := "delete"
	if p.DryRun {
		verb = "would delete"
	}
	for _, k := range p.Keys {
		t.row(verb, k)
	}
	for _, k := range p.SkippedStreams {
		t.row("keep (live stream; --include-streams)", k)
	}
	if err := t.flush(); err != nil {
		return err
	}
	if p.DryRun {
		_, err := fmt.Fprintf(w, "%d keys match %s (dry run: nothing deleted)\n", len(p.Keys), p.Pattern)
		return err
	}
	_, err := fmt.Fprintf(w, "deleted %d of %d keys matching %s\n", p.Deleted, len(p.Keys), p.Pattern)
	return err
}

// Line renders one pub/sub message for the human output.
func (m Message) Line() string {
	at := m.Received.Format("15:04:05.000")
	switch {
	case m.DecodeError != "":
		return fmt.Sprintf("%s %s undecodable (%s): %q", at, m.Channel, m.DecodeError, m.Payload)
	case m.Channel == ChannelBlocks:
		return fmt.Sprintf("%s block height=%d hash=%s time=%s", at, m.Height, m.Hash, m.BlockTime.Format(time.RFC3339Nano))
	default:
		return fmt.Sprintf("%s invalidate kind=%s key=%s origin=%s", at, m.Kind, m.Key, m.Origin)
	}
}
