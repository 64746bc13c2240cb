package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// LoadRelayer reads, defaults and validates a relayer config file.
func LoadRelayer(path string) (*Relayer, error) {
	cfg := DefaultRelayer()
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return &cfg, load(path, b, &cfg, (*Relayer).applyDefaults, (*Relayer).validate)
}

// LoadMiner reads, defaults and validates a miner config file.
func LoadMiner(path string) (*Miner, error) {
	cfg := DefaultMiner()
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return &cfg, load(path, b, &cfg, (*Miner).applyDefaults, (*Miner).validate)
}

// ParseRelayer is LoadRelayer for bytes already in memory; name labels errors.
func ParseRelayer(name string, b []byte) (*Relayer, error) {
	cfg := DefaultRelayer()
	return &cfg, load(name, b, &cfg, (*Relayer).applyDefaults, (*Relayer).validate)
}

// ParseMiner is LoadMiner for bytes already in memory; name labels errors.
func ParseMiner(name string, b []byte) (*Miner, error) {
	cfg := DefaultMiner()
	return &cfg, load(name, b, &cfg, (*Miner).applyDefaults, (*Miner).validate)
}

func load[T any](name string, b []byte, cfg *T, defaults func(*T), validate func(*T, *problems)) error {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	idx := indexNodes(&root)
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return idx.annotate(name, err)
	}
	defaults(cfg)
	var p problems
	validate(cfg, &p)
	return p.err(name, idx)
}

// nodeIndex maps between key paths and file lines, so errors can name both.
type nodeIndex struct {
	lineOf map[string]int // path → line of its key
	keysAt map[int][]keyAt
}

type keyAt struct {
	path  string
	key   string
	value string // the scalar value, to match "cannot unmarshal !!int `15`"
}

func indexNodes(root *yaml.Node) nodeIndex {
	idx := nodeIndex{lineOf: map[string]int{}, keysAt: map[int][]keyAt{}}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := joinPath(path, k.Value)
				if _, seen := idx.lineOf[p]; !seen {
					idx.lineOf[p] = k.Line
				}
				idx.keysAt[k.Line] = append(idx.keysAt[k.Line], keyAt{path: p, key: k.Value, value: v.Value})
				if v.Line != k.Line && v.Kind == yaml.ScalarNode {
					idx.keysAt[v.Line] = append(idx.keysAt[v.Line], keyAt{path: p, key: k.Value, value: v.Value})
				}
				walk(v, p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := path + "[" + strconv.Itoa(i) + "]"
				if c.Kind == yaml.ScalarNode {
					idx.keysAt[c.Line] = append(idx.keysAt[c.Line], keyAt{path: p, value: c.Value})
				}
				if _, seen := idx.lineOf[p]; !seen {
					idx.lineOf[p] = c.Line
				}
				walk(c, p)
			}
		}
	}
	walk(root, "")
	return idx
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

var (
	lineMsg      = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	unknownField = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
	badValue     = regexp.MustCompile("^cannot unmarshal \\S+ `([^`]*)`")
	dupKey       = regexp.MustCompile(`^mapping key "([^"]*)" already defined at line \d+$`)
)

// annotate rewrites yaml.v3's decode errors ("line 6: field timout not found in type …") into
// "file: services.eth.backends.jsonrpc.timout (line 6): unknown key".
func (idx nodeIndex) annotate(name string, err error) error {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var out []error
	for _, m := range msgs {
		sub := lineMsg.FindStringSubmatch(m)
		if sub == nil {
			out = append(out, fmt.Errorf("%s: %s", name, m))
			continue
		}
		line, _ := strconv.Atoi(sub[1])
		msg := sub[2]
		var want keyAt
		if f := unknownField.FindStringSubmatch(msg); f != nil {
			want.key, msg = f[1], "unknown key"
		} else if d := dupKey.FindStringSubmatch(msg); d != nil {
			want.key, msg = d[1], "duplicate key"
		} else if v := badValue.FindStringSubmatch(msg); v != nil {
			want.value = v[1]
		}
		if path := idx.pathAt(line, want); path != "" {
			out = append(out, fmt.Errorf("%s: %s (line %d): %s", name, path, line, msg))
		} else {
			out = append(out, fmt.Errorf("%s: line %d: %s", name, line, msg))
		}
	}
	return errors.Join(out...)
}

// pathAt finds the key on line that an error message refers to: by name for unknown and
// duplicate keys, by value for type errors, else the deepest key on the line.
func (idx nodeIndex) pathAt(line int, want keyAt) string {
	best := ""
	for _, k := range idx.keysAt[line] {
		switch {
		case want.key != "":
			if k.key == want.key {
				return k.path
			}
		case want.value != "":
			if k.value == want.value {
				return k.path
			}
		default:
			if len(k.path) > len(best) {
				best = k.path
			}
		}
	}
	return best
}

// problems collects validation errors, each tied to a key path.
type problems struct {
	list []problem
}

type problem struct {
	path string
	msg  string
}

func (p *problems) add(path, format string, args ...any) {
	p.list = append(p.list, problem{path: path, msg: fmt.Sprintf(format, args...)})
}

func (p *problems) err(name string, idx nodeIndex) error {
	if len(p.list) == 0 {
		return nil
	}
	errs := make([]error, 0, len(p.list))
	for _, pr := range p.list {
		if line, exact, ok := idx.lookup(pr.path); ok && exact {
			errs = append(errs, fmt.Errorf("%s: %s (line %d): %s", name, pr.path, line, pr.msg))
		} else if ok {
			errs = append(errs, fmt.Errorf("%s: %s (in the section at line %d): %s", name, pr.path, line, pr.msg))
		} else {
			errs = append(errs, fmt.Errorf("%s: %s: %s", name, pr.path, pr.msg))
		}
	}
	return errors.Join(errs...)
}

// lookup finds the line of path or of its nearest ancestor present in the file.
func (idx nodeIndex) lookup(path string) (line int, exact, ok bool) {
	for p := path; p != ""; {
		if l, ok := idx.lineOf[p]; ok {
			return l, p == path, true
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0, false, false
}
