package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/driftwatch/driftwatch/config/field"
)

// Problem is one located configuration error.
type Problem struct {
	// Line and Column are 1-based; Column is 0 when only the line is known.
	Line, Column int
	// Path is the field path, such as models[0].features[2].type.
	Path string
	// Detail says what is wrong.
	Detail string
}

// Error lists every problem found in a configuration file.
type Error struct {
	File     string
	Problems []Problem
}

// Error formats one problem per line as file:line:column: path: detail.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = e.format(p)
	}
	return strings.Join(lines, "\n")
}

func (e *Error) format(p Problem) string {
	loc := e.File
	if p.Line > 0 {
		loc += ":" + strconv.Itoa(p.Line)
		if p.Column > 0 {
			loc += ":" + strconv.Itoa(p.Column)
		}
	}
	if p.Path == "" {
		return loc + ": " + p.Detail
	}
	return loc + ": " + p.Path + ": " + p.Detail
}

// Load reads and validates the configuration file at path. On failure the
// error is an *Error listing every problem.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and validates a configuration held in memory. name is used
// in error messages as the file name.
func Parse(name string, data []byte) (*Config, error) {
	cfg := &Config{}
	applyDefaults(reflect.ValueOf(cfg).Elem())

	root, synErr := parseYAML(data)
	if synErr != nil {
		return nil, &Error{File: name, Problems: []Problem{*synErr}}
	}
	d := newDecoder()
	if root != nil {
		d.decode(root, reflect.ValueOf(cfg).Elem(), "")
	}
	problems := make([]Problem, 0, len(d.problems))
	failed := map[field.Path]bool{}
	for _, p := range d.problems {
		problems = append(problems, Problem{Line: p.pos.line, Column: p.pos.col, Path: string(p.path), Detail: p.detail})
		failed[p.path] = true
	}
	for _, e := range field.Flatten(cfg.Validate()) {
		var fe *field.Error
		if !errors.As(e, &fe) {
			fe = &field.Error{Detail: e.Error()}
		}
		if underFailed(fe.Path, failed) {
			continue // The decoder already reported the cause.
		}
		pos := d.locate(fe.Path)
		problems = append(problems, Problem{Line: pos.line, Column: pos.col, Path: string(fe.Path), Detail: fe.Detail})
	}
	if len(problems) == 0 {
		return cfg, nil
	}
	sort.SliceStable(problems, func(i, j int) bool {
		a, b := problems[i], problems[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return nil, &Error{File: name, Problems: problems}
}

// parseYAML parses a single YAML document. An empty file gives a nil node.
func parseYAML(data []byte) (*yaml.Node, *Problem) {
	var doc yaml.Node
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&doc); err != nil {
		if err.Error() == "EOF" {
			return nil, nil
		}
		return nil, syntaxProblem(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Problem{Line: extra.Line, Detail: "the file holds more than one YAML document; driftwatch reads exactly one"}
	}
	return &doc, nil
}

var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

func syntaxProblem(err error) *Problem {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return &Problem{Detail: "invalid YAML: " + err.Error()}
	}
	line, _ := strconv.Atoi(m[1])
	return &Problem{Line: line, Detail: "invalid YAML: " + m[2]}
}

// locate finds the position of p, or of its nearest ancestor that the file
// mentions, or the start of the file.
func (d *decoder) locate(p field.Path) position {
	for {
		if pos, ok := d.index[p]; ok {
			return pos
		}
		if p == "" {
			return position{line: 1, col: 1}
		}
		p = parent(p)
	}
}

func underFailed(p field.Path, failed map[field.Path]bool) bool {
	for {
		if failed[p] {
			return true
		}
		if p == "" {
			return false
		}
		p = parent(p)
	}
}

// parent strips the last segment of a path: a.b[2].c → a.b[2] → a.b → a.
func parent(p field.Path) field.Path {
	s := string(p)
	depth := 0
	for i := len(s) - 1; i >= 0; i-- {
		switch s[i] {
		case ']':
			depth++
		case '[':
			depth--
			if depth == 0 {
				return field.Path(s[:i])
			}
		case '.':
			if depth == 0 {
				return field.Path(s[:i])
			}
		}
	}
	return ""
}
