package event

import (
	"fmt"
	"strings"
)

// role is what a field means to the decoder.
type role uint8

const (
	roleID role = iota
	roleModel
	roleVersion
	roleTime
	roleFeature
	rolePrediction
	roleScore
	roleLabel
)

// String names the role as the field mapping does.
func (r role) String() string {
	return [...]string{"id", "model", "model_version", "timestamp", "feature", "prediction", "score", "label"}[r]
}

// target is one field read from a path: a role, and for features the
// feature's position.
type target struct {
	role    role
	feature int
}

// pathTarget pairs a dotted path with the field read from it.
type pathTarget struct {
	path   string
	target target
}

// plan is the tree of the paths that one kind of event reads. Node 0 is the
// root object; the other nodes are object keys along the paths. A node has
// children (its value must be an object) or targets (its value is read),
// never both. A plan learns the key order of recent payloads, so it belongs
// to one Decoder.
type plan struct {
	nodes []node
}

// node is one key of a path.
type node struct {
	name     string
	path     string // dotted path from the root, for errors
	children []int32
	names    []string         // of the children
	byName   map[string]int32 // child name -> position, for nodes with many children
	targets  []target
	// succ[i+1] is the position of the child that followed child i in the
	// last payload, and succ[0] the first child read; -1 when unknown.
	succ []int32
	// quoted holds each child's name as a JSON string literal, or nil when
	// the name needs escaping, for matching keys by their raw bytes.
	quoted [][]byte
}

// mapAbove is the number of children from which a node looks keys up in a
// map rather than comparing them one by one.
const mapAbove = 8

// newPlan builds the tree of the given paths. Several fields may share a
// path, but no path may lead through another: a value cannot be both read
// and descended into.
func newPlan(fields []pathTarget) (*plan, error) {
	p := &plan{nodes: []node{{}}}
	for _, f := range fields {
		if err := checkPath(f.path); err != nil {
			return nil, fmt.Errorf("%s: %w", f.target.role, err)
		}
		n := int32(0)
		for seg := range strings.SplitSeq(f.path, ".") {
			if len(p.nodes[n].targets) > 0 {
				return nil, fmt.Errorf("%s path %q leads through %q, which is read as a value", f.target.role, f.path, p.nodes[n].path)
			}
			n = p.child(n, seg)
		}
		if len(p.nodes[n].children) > 0 {
			return nil, fmt.Errorf("%s path %q is also the object of other fields", f.target.role, f.path)
		}
		p.nodes[n].targets = append(p.nodes[n].targets, f.target)
	}
	for i := range p.nodes {
		n := &p.nodes[i]
		for _, c := range n.children {
			n.names = append(n.names, p.nodes[c].name)
			n.quoted = append(n.quoted, quotedPlain(p.nodes[c].name))
		}
		n.succ = make([]int32, len(n.children)+1)
		for j := range n.succ {
			n.succ[j] = -1
		}
		if len(n.children) > mapAbove {
			n.byName = make(map[string]int32, len(n.children))
			for j, c := range n.children {
				n.byName[p.nodes[c].name] = int32(j)
			}
		}
	}
	return p, nil
}

// child returns the child of n named seg, adding it if needed.
func (p *plan) child(n int32, seg string) int32 {
	for _, c := range p.nodes[n].children {
		if p.nodes[c].name == seg {
			return c
		}
	}
	c := int32(len(p.nodes))
	path := seg
	if n != 0 {
		path = p.nodes[n].path + "." + seg
	}
	p.nodes = append(p.nodes, node{name: seg, path: path})
	p.nodes[n].children = append(p.nodes[n].children, c)
	return c
}

// quotedPlain returns name as a JSON string literal when its raw text
// equals its decoded text (no quote, backslash or control character), and
// nil otherwise.
func quotedPlain(name string) []byte {
	for i := range len(name) {
		if stringStop[name[i]] {
			return nil
		}
	}
	return []byte(`"` + name + `"`)
}

// predicted returns the child that followed child *prev in the last payload
// when the key at in is that child's name, written without escapes and
// followed directly by ':', and the length of the key with its colon. It
// updates *prev as lookup does. In steady state this matches every key
// without decoding it; any other key, spelling or spacing goes through
// the full parse and lookup.
func (p *plan) predicted(n *node, in []byte, prev *int) (int32, int) {
	g := n.succ[*prev+1]
	if g < 0 || n.quoted[g] == nil {
		return -1, 0
	}
	q := n.quoted[g]
	if len(in) <= len(q) || in[len(q)] != ':' || string(in[:len(q)]) != string(q) {
		return -1, 0
	}
	*prev = int(g)
	return n.children[g], len(q) + 1
}

// lookup returns the child of n named key, or -1. *prev is the position
// of the child matched before in the same object, or -1 at its first key,
// and is updated. Producers write keys in the same order every time, so
// each node learns which child followed which in the last payload and tries
// that one first: in steady state a lookup is one comparison.
func (p *plan) lookup(n *node, key []byte, prev *int) int32 {
	if g := n.succ[*prev+1]; g >= 0 && n.names[g] == string(key) {
		*prev = int(g)
		return n.children[g]
	}
	i := -1
	if n.byName != nil {
		if j, ok := n.byName[string(key)]; ok {
			i = int(j)
		}
	} else {
		for j, name := range n.names {
			if name == string(key) {
				i = j
				break
			}
		}
	}
	if i < 0 {
		return -1
	}
	n.succ[*prev+1] = int32(i)
	*prev = i
	return n.children[i]
}
