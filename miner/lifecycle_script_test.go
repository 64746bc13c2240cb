package miner

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// rewrite regenerates the expected outputs of the lifecycle scripts:
//
//	go test ./miner -run TestLifecycleScripts -rewrite
var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of testdata/lifecycle scripts")

// scriptCmd is one command of a datadriven-style script: a line "name k=v k=v flag", a "----"
// line, then the expected output up to a blank line.
type scriptCmd struct {
	line     int
	input    string
	name     string
	args     map[string]string
	flags    []string
	expected string
}

// parseScript reads the commands of a script; comments (#) and blank lines between commands
// are kept verbatim for rewriting.
func parseScript(t *testing.T, path string) ([]scriptCmd, []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var (
		cmds     []scriptCmd
		preludes []string // text before each command (comments, blank lines)
		prelude  strings.Builder
	)
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			prelude.WriteString(line + "\n")
			continue
		}
		c := scriptCmd{line: n, input: line, args: map[string]string{}}
		f := strings.Fields(line)
		c.name = f[0]
		for _, kv := range f[1:] {
			if k, v, ok := strings.Cut(kv, "="); ok {
				c.args[k] = v
			} else {
				c.flags = append(c.flags, kv)
			}
		}
		if !sc.Scan() || sc.Text() != "----" {
			t.Fatalf("%s:%d: want ---- after %q", path, n, line)
		}
		n++
		var exp []string
		for sc.Scan() {
			n++
			if sc.Text() == "" {
				break
			}
			exp = append(exp, sc.Text())
		}
		c.expected = strings.Join(exp, "\n")
		cmds = append(cmds, c)
		preludes = append(preludes, prelude.String())
		prelude.Reset()
	}
	return cmds, append(preludes, prelude.String())
}

func (c scriptCmd) int(t *testing.T, k string) int64 {
	t.Helper()
	v, ok := c.args[k]
	if !ok {
		t.Fatalf("line %d: %s: missing %s=", c.line, c.name, k)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("line %d: %s=%q: %v", c.line, k, v, err)
	}
	return n
}

func (c scriptCmd) intOr(t *testing.T, k string, def int64) int64 {
	if _, ok := c.args[k]; !ok {
		return def
	}
	return c.int(t, k)
}

func (c scriptCmd) flag(f string) bool {
	for _, x := range c.flags {
		if x == f {
			return true
		}
	}
	return false
}

// runScripts runs every script under dir with run, comparing (or, with -rewrite, replacing)
// the expected output of each command.
func runScripts(t *testing.T, dir string, run func(t *testing.T, c scriptCmd) string) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no scripts in %s: %v", dir, err)
	}
	sort.Strings(paths)
	for _, p := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(p), ".txt"), func(t *testing.T) {
			cmds, preludes := parseScript(t, p)
			var out strings.Builder
			for i, c := range cmds {
				got := strings.TrimRight(run(t, c), "\n")
				out.WriteString(preludes[i] + c.input + "\n----\n" + got + "\n")
				if i < len(cmds)-1 && !strings.HasPrefix(preludes[i+1], "\n") {
					out.WriteString("\n")
				}
				if !*rewrite && got != c.expected {
					t.Errorf("%s:%d: %s\n got: %s\nwant: %s", p, c.line, c.input, got, c.expected)
				}
			}
			out.WriteString(preludes[len(cmds)])
			if *rewrite {
				if err := os.WriteFile(p, []byte(out.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// lifecycleRig is the state one lifecycle script drives.
type lifecycleRig struct {
	s Session
	w Windows
}

func (r *lifecycleRig) describe(acts []Action) string {
	s := r.s
	var b strings.Builder
	b.WriteString(string(s.State))
	if s.Reason != ReasonNone {
		fmt.Fprintf(&b, " reason=%s", s.Reason)
	}
	if s.Requirement != RequirementUnknown {
		fmt.Fprintf(&b, " proof=%s", s.Requirement)
	}
	if s.ClaimAttempts > 0 {
		fmt.Fprintf(&b, " claim-attempts=%d", s.ClaimAttempts)
	}
	if s.ProofAttempts > 0 {
		fmt.Fprintf(&b, " proof-attempts=%d", s.ProofAttempts)
	}
	if s.InFlight {
		b.WriteString(" in-flight")
	}
	if s.TxHash != "" {
		fmt.Fprintf(&b, " tx=%s", s.TxHash)
	}
	if len(acts) > 0 {
		as := make([]string, len(acts))
		for i, a := range acts {
			as[i] = string(a)
		}
		fmt.Fprintf(&b, " actions=[%s]", strings.Join(as, " "))
	}
	return b.String()
}

// testRoot returns a 48-byte root with the given sum and count.
func testRoot(sum, count uint64) []byte {
	root := make([]byte, claimRootLen)
	for i := range 32 {
		root[i] = byte(i + 1)
	}
	for i := range 8 {
		root[32+i] = byte(sum >> (56 - 8*i))
		root[40+i] = byte(count >> (56 - 8*i))
	}
	return root
}

func outcomeArg(t *testing.T, c scriptCmd) TxOutcome {
	for _, o := range []TxOutcome{TxIncluded, TxFailed, TxUnknown} {
		if c.flag(string(o)) {
			return o
		}
	}
	t.Fatalf("line %d: %s: want included, failed or unknown", c.line, c.name)
	return ""
}

// run executes one lifecycle script command. Commands:
//
//	windows end= n= grace= co= cc= po= pc= [claim-delay=] [proof-delay=]   new session, its windows
//	advance height=                        Step
//	seal count= sum= cupr= [unprofitable]  OnSealed
//	begin-claim height= / begin-proof height=
//	claim-result included|failed|unknown [hash=] / proof-result …
//	claim-lookup found|missing / proof-lookup found|missing
//	requirement not_required|threshold|probabilistic
//	tree-deleted
//	takeover                               persist, forget, reload (a new owner)
func (r *lifecycleRig) run(t *testing.T, c scriptCmd) string {
	switch c.name {
	case "windows":
		p := testSharedParams(c.int(t, "n"), c.int(t, "grace"), c.int(t, "co"), c.int(t, "cc"), c.int(t, "po"), c.int(t, "pc"))
		w, err := NewWindows(p, c.int(t, "end"), c.intOr(t, "claim-delay", 0), c.intOr(t, "proof-delay", 0))
		if err != nil {
			return "error: " + err.Error()
		}
		r.w, r.s = w, NewSession("s1")
		return fmt.Sprintf("session=[%d,%d] grace-end=%d claim=[%d,%d] claim-at=%d proof=[%d,%d] proof-at=%d seed=%d\n%s",
			w.Start, w.End, w.GraceEnd, w.ClaimOpen, w.ClaimClose, w.ClaimAt, w.ProofOpen, w.ProofClose, w.ProofAt, w.SeedHeight(), r.describe(nil))
	case "advance":
		var acts []Action
		r.s, acts = r.s.Step(c.int(t, "height"), r.w)
		return r.describe(acts)
	case "seal":
		r.s = r.s.OnSealed(Seal{Root: testRoot(uint64(c.int(t, "sum")), uint64(c.int(t, "count"))),
			CUPR: uint64(c.int(t, "cupr")), Unprofitable: c.flag("unprofitable")})
	case "begin-claim":
		r.s = r.s.BeginClaim(c.int(t, "height"))
	case "begin-proof":
		r.s = r.s.BeginProof(c.int(t, "height"))
	case "claim-result":
		r.s = r.s.OnClaim(outcomeArg(t, c), c.args["hash"], "")
	case "proof-result":
		r.s = r.s.OnProof(outcomeArg(t, c), c.args["hash"], "")
	case "claim-lookup":
		var root []byte
		if c.flag("found") {
			root = testRoot(50, 5)
		}
		r.s = r.s.OnClaimLookup(root)
	case "proof-lookup":
		r.s = r.s.OnProofLookup(c.flag("found"))
	case "requirement":
		r.s = r.s.OnRequirement(Requirement(c.flags[0]))
	case "tree-deleted":
		r.s = r.s.OnTreeDeleted()
	case "takeover":
		r.takeover(t)
	default:
		t.Fatalf("line %d: unknown command %q", c.line, c.name)
	}
	return r.describe(nil)
}

func TestLifecycleScripts(t *testing.T) {
	runScripts(t, "testdata/lifecycle", func(t *testing.T, c scriptCmd) string {
		return rigFor(t).run(t, c)
	})
}

// rigs keeps one rig per running subtest (scripts run sequentially).
var rigs = map[string]*lifecycleRig{}

func rigFor(t *testing.T) *lifecycleRig {
	r, ok := rigs[t.Name()]
	if !ok {
		r = &lifecycleRig{}
		rigs[t.Name()] = r
		t.Cleanup(func() { delete(rigs, t.Name()) })
	}
	return r
}
