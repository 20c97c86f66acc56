package config

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/driftwatch/driftwatch/config/field"
)

// position is a 1-based line and column in the file.
type position struct{ line, col int }

// defaulter is implemented by configuration structs that have defaults.
type defaulter interface{ SetDefaults() }

// hinter is implemented by types that explain their expected form when the
// file gives a value of the wrong shape.
type hinter interface{ ConfigHint() string }

// decoder walks a YAML node tree alongside the Go type it fills. It is
// written by hand because yaml.v3's own strict mode reports unknown keys
// without columns or field paths, stops type checks at the first custom
// unmarshaler, and cannot tell where a validation error's field sits. The
// walker records the position of every path it visits so that later
// validation errors can be placed too.
type decoder struct {
	index    map[field.Path]position
	problems []problem
}

// problem is one located error.
type problem struct {
	pos    position
	path   field.Path
	detail string
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
)

func newDecoder() *decoder { return &decoder{index: map[field.Path]position{}} }

func (d *decoder) failf(n *yaml.Node, p field.Path, format string, args ...any) {
	d.problems = append(d.problems, problem{pos: position{n.Line, n.Column}, path: p, detail: fmt.Sprintf(format, args...)})
}

// applyDefaults calls SetDefaults on v and, recursively, on its struct fields
// that are not pointers, slices or maps.
func applyDefaults(v reflect.Value) {
	if v.Kind() != reflect.Struct {
		return
	}
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.CanSet() && f.Kind() == reflect.Struct {
			applyDefaults(f)
		}
	}
	if v.CanAddr() {
		if dft, ok := v.Addr().Interface().(defaulter); ok {
			dft.SetDefaults()
		}
	}
}

// decode fills v from n. v must be settable.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, p field.Path) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return
		}
		n = n.Content[0]
	}
	if isNull(n) {
		return // An empty value leaves the default in place.
	}
	switch {
	case v.Type() == durationType:
		d.decodeDuration(n, v, p)
		return
	case v.Kind() == reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
			applyDefaults(v.Elem())
		}
		d.decode(n, v.Elem(), p)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, p)
	case reflect.Slice:
		d.decodeSlice(n, v, p)
	case reflect.Map:
		d.decodeMap(n, v, p)
	default:
		d.decodeScalar(n, v, p)
	}
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return fmt.Sprintf("%q", n.Value)
	}
}

func (d *decoder) wrongShape(n *yaml.Node, v reflect.Value, p field.Path, want string) {
	msg := fmt.Sprintf("want %s, got %s", want, kindName(n))
	if v.CanAddr() {
		if h, ok := v.Addr().Interface().(hinter); ok {
			msg += ": " + h.ConfigHint()
		}
	}
	d.failf(n, p, "%s", msg)
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, p field.Path) {
	if n.Kind != yaml.MappingNode {
		d.wrongShape(n, v, p, "a mapping")
		return
	}
	fields := yamlFields(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" {
			d.decodeStruct(resolveAlias(val), v, p)
			continue
		}
		name := k.Value
		fp := p.Child(name)
		if seen[name] {
			d.failf(k, fp, "duplicate key %q", name)
			continue
		}
		seen[name] = true
		idx, ok := fields[name]
		if !ok {
			d.failf(k, fp, "unknown field %q%s", name, suggest(name, fields))
			continue
		}
		d.index[fp] = position{k.Line, k.Column}
		d.decode(val, v.Field(idx), fp)
	}
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode {
		return n.Alias
	}
	return n
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, p field.Path) {
	if n.Kind != yaml.SequenceNode {
		d.wrongShape(n, v, p, "a list")
		return
	}
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		ip := p.Index(i)
		d.index[ip] = position{item.Line, item.Column}
		elem := out.Index(i)
		applyDefaults(elem)
		d.decode(item, elem, ip)
	}
	v.Set(out)
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, p field.Path) {
	if n.Kind != yaml.MappingNode {
		d.wrongShape(n, v, p, "a mapping")
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		panic(fmt.Sprintf("config: map key type %s is not supported", v.Type().Key()))
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		kp := p.Key(k.Value)
		if k.Kind != yaml.ScalarNode {
			d.failf(k, p, "map keys must be plain values, got %s", kindName(k))
			continue
		}
		if seen[k.Value] {
			d.failf(k, kp, "duplicate key %q", k.Value)
			continue
		}
		seen[k.Value] = true
		d.index[kp] = position{k.Line, k.Column}
		elem := reflect.New(v.Type().Elem()).Elem()
		applyDefaults(elem)
		d.decode(val, elem, kp)
		v.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), elem)
	}
}

func (d *decoder) decodeDuration(n *yaml.Node, v reflect.Value, p field.Path) {
	if n.Kind != yaml.ScalarNode {
		d.wrongShape(n, v, p, "a duration such as 90s, 15m or 6h")
		return
	}
	dur, err := time.ParseDuration(n.Value)
	if err != nil || n.Tag != "!!str" && n.Value != "0" {
		d.failf(n, p, "invalid duration %q (want a number with a unit, such as 90s, 15m or 6h)", n.Value)
		return
	}
	v.SetInt(int64(dur))
}

func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, p field.Path) {
	if n.Kind != yaml.ScalarNode {
		d.wrongShape(n, v, p, "a single value")
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(n.Value)
	case reflect.Bool:
		b, err := strconv.ParseBool(n.Value)
		if err != nil || n.Tag != "!!bool" {
			d.failf(n, p, "want true or false, got %q", n.Value)
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, v.Type().Bits())
		if err != nil || n.Tag != "!!int" {
			d.failf(n, p, "want a whole number, got %q", n.Value)
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, err := strconv.ParseUint(strings.ReplaceAll(n.Value, "_", ""), 0, v.Type().Bits())
		if err != nil || n.Tag != "!!int" {
			d.failf(n, p, "want a whole number of at least 0, got %q", n.Value)
			return
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		var f float64
		if err := n.Decode(&f); err != nil || (n.Tag != "!!float" && n.Tag != "!!int") {
			d.failf(n, p, "want a number, got %q", n.Value)
			return
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			d.failf(n, p, "want a finite number, got %q", n.Value)
			return
		}
		v.SetFloat(f)
	default:
		panic(fmt.Sprintf("config: field type %s is not supported", v.Type()))
	}
}

// yamlFields maps the YAML keys of struct type t to field indexes.
func yamlFields(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = i
	}
	return out
}

// suggest names the known key closest to an unknown one, if any is close.
func suggest(name string, fields map[string]int) string {
	best, bestDist := "", 3
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if dist := editDistance(strings.ToLower(name), k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best == "" {
		return fmt.Sprintf(" (known fields: %s)", strings.Join(keys, ", "))
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
