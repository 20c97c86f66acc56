// Package field names places in the configuration file and carries
// validation errors that point at them.
//
// Every package that owns a piece of configuration validates it without I/O
// and returns errors built here, with paths relative to its own section, such
// as `features[2].type`. Callers prefix the paths of the sections they embed,
// so the loader finally sees full paths like `models[0].features[2].type` and
// turns them into file:line:column positions. Locating paths in YAML is left
// to the loader.
package field

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Path is a dotted field path with list indexes and map keys, such as
// `models[0].features[2].type` or `pipelines[1].steps.train.env[TOKEN]`. The
// empty Path names the root.
type Path string

// NewPath returns the path of a top-level field.
func NewPath(name string) Path { return Path(name) }

// Child returns the path of the named field below p.
func (p Path) Child(name string) Path {
	if p == "" {
		return Path(name)
	}
	return Path(string(p) + "." + name)
}

// Index returns the path of the i-th element of the list at p.
func (p Path) Index(i int) Path { return Path(string(p) + "[" + strconv.Itoa(i) + "]") }

// Key returns the path of the map entry with key k at p.
func (p Path) Key(k string) Path { return Path(string(p) + "[" + k + "]") }

// Join appends the relative path rel to p.
func (p Path) Join(rel Path) Path {
	switch {
	case rel == "":
		return p
	case p == "":
		return rel
	case strings.HasPrefix(string(rel), "["):
		return Path(string(p) + string(rel))
	default:
		return Path(string(p) + "." + string(rel))
	}
}

// Error is a problem with the value at Path.
type Error struct {
	Path   Path
	Detail string
}

// Error formats the error as "path: detail".
func (e *Error) Error() string {
	if e.Path == "" {
		return e.Detail
	}
	return string(e.Path) + ": " + e.Detail
}

// Invalid returns an error for the value at p, with a formatted detail.
func Invalid(p Path, format string, args ...any) *Error {
	return &Error{Path: p, Detail: fmt.Sprintf(format, args...)}
}

// Required returns an error saying that the field at p must be set.
func Required(p Path) *Error { return &Error{Path: p, Detail: "is required"} }

// Wrap attaches the path p to err. A nil err gives nil.
func Wrap(p Path, err error) error {
	if err == nil {
		return nil
	}
	return Prefix(p, err)
}

// Prefix prepends p to the paths of every Error inside err, which may be a
// tree of errors joined with errors.Join. Errors that carry no path are placed
// at p. A nil err gives nil.
func Prefix(p Path, err error) error {
	if err == nil {
		return nil
	}
	var out []error
	for _, e := range Flatten(err) {
		var fe *Error
		if errors.As(e, &fe) {
			out = append(out, &Error{Path: p.Join(fe.Path), Detail: fe.Detail})
			continue
		}
		out = append(out, &Error{Path: p, Detail: e.Error()})
	}
	return errors.Join(out...)
}

// Flatten returns the leaves of a tree of errors joined with errors.Join, in
// order. Other wrapped errors are kept whole.
func Flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, Flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// List gathers validation errors. The zero value is ready to use.
type List struct {
	errs []error
}

// Add records err, which may be nil or a joined tree, placed at p.
func (l *List) Add(p Path, err error) {
	if err != nil {
		l.errs = append(l.errs, Prefix(p, err))
	}
}

// Addf records a formatted error at p.
func (l *List) Addf(p Path, format string, args ...any) {
	l.errs = append(l.errs, Invalid(p, format, args...))
}

// Err returns all recorded errors joined, or nil when there are none.
func (l *List) Err() error { return errors.Join(l.errs...) }
