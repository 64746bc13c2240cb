package convert

import (
	"strconv"

	"go.yaml.in/yaml/v3"
)

// keyWalk records which key paths a file holds and which of them its source does not know.
type keyWalk struct {
	present map[string]bool
	unknown []string // keys the shape does not name, in file order
	leaves  []string // every leaf path in file order, for sources whose keys are unknown
}

func walkKeys(root *yaml.Node, s *shape) keyWalk {
	w := keyWalk{present: map[string]bool{}}
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	w.walk(root, s, "", s != nil)
	return w
}

// walk visits n at path. known says that s describes n; below an unknown key only the leaves
// are collected, since the whole subtree is reported once, at its key.
func (w *keyWalk) walk(n *yaml.Node, s *shape, path string, known bool) {
	if path != "" {
		w.present[path] = true
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i].Value, n.Content[i+1]
			p := join(path, k)
			var child *shape
			childKnown := false
			if known && s != nil {
				ok := true
				if s.fields != nil {
					child, ok = s.fields[k]
				} else {
					child = s.each
				}
				if !ok {
					w.unknown = append(w.unknown, p)
				}
				childKnown = ok
			}
			w.walk(v, child, p, childKnown)
		}
		if len(n.Content) == 0 && path != "" {
			w.leaves = append(w.leaves, path)
		}
	case yaml.SequenceNode:
		var child *shape
		if s != nil {
			child = s.each
		}
		for i, c := range n.Content {
			w.walk(c, child, path+"["+strconv.Itoa(i)+"]", known)
		}
		if len(n.Content) == 0 && path != "" {
			w.leaves = append(w.leaves, path)
		}
	default:
		if path != "" {
			w.leaves = append(w.leaves, path)
		}
	}
}

func join(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}
