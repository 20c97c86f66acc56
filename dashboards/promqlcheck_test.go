package dashboards

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// This file reads the PromQL the dashboards generate, for the tests that
// check every query against driftwatch's registry. It is not a full PromQL
// parser: Prometheus's own (github.com/prometheus/prometheus/promql/parser)
// would pull newer client_golang and common modules into go.mod. It lexes
// the whole expression, rejects what it does not know, and extracts the
// vector selectors and the labels of by, without, on, ignoring and
// group_left/group_right clauses. The end-to-end test runs every query
// through a real Prometheus, which parses it for real.

// Query is what the tests need to know of a PromQL expression.
type Query struct {
	Selectors []Selector
	// Grouping are the label names of by, without, on, ignoring,
	// group_left and group_right clauses.
	Grouping []string
	// Functions are the functions and aggregations called.
	Functions []string
}

// Selector is a vector selector: a metric name and its label matchers.
type Selector struct {
	Metric   string
	Matchers []Matcher
}

// Matcher is one label matcher of a selector.
type Matcher struct {
	Label, Op, Value string
}

// promqlFunctions are the functions and aggregations the dashboards may
// use; any other name followed by a parenthesis is an error, which catches
// typos before a real Prometheus would.
var promqlFunctions = []string{
	"abs", "absent", "avg", "ceil", "clamp", "clamp_max", "clamp_min", "count", "deriv", "floor",
	"histogram_quantile", "increase", "irate", "label_replace", "last_over_time", "max", "min", "quantile",
	"rate", "round", "scalar", "sort", "sort_desc", "sum", "time", "timestamp", "topk", "bottomk", "vector",
}

var groupingKeywords = []string{"by", "without", "on", "ignoring", "group_left", "group_right"}

var binaryKeywords = []string{"and", "or", "unless", "bool"}

type tokenKind int

const (
	tokIdent tokenKind = iota
	tokString
	tokNumber
	tokPunct
	tokRange // a [...] range or subquery, kept whole
)

type token struct {
	kind tokenKind
	text string
}

// ParseQuery extracts the selectors and grouping labels of expr.
func ParseQuery(expr string) (Query, error) {
	toks, err := lex(expr)
	if err != nil {
		return Query{}, err
	}
	var q Query
	depth := 0
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		next := func(k int) token {
			if i+k < len(toks) {
				return toks[i+k]
			}
			return token{kind: tokPunct}
		}
		switch {
		case t.kind == tokPunct && t.text == "(":
			depth++
		case t.kind == tokPunct && t.text == ")":
			depth--
			if depth < 0 {
				return Query{}, fmt.Errorf("unbalanced ) in %q", expr)
			}
		case t.kind == tokPunct && t.text == "{":
			return Query{}, fmt.Errorf("selector without a metric name in %q", expr)
		case t.kind != tokIdent:
		case slices.Contains(groupingKeywords, t.text):
			if next(1).text != "(" {
				if t.text == "group_left" || t.text == "group_right" {
					continue
				}
				return Query{}, fmt.Errorf("%s without a label list in %q", t.text, expr)
			}
			j := i + 2
			for ; j < len(toks) && toks[j].text != ")"; j++ {
				switch {
				case toks[j].kind == tokIdent:
					q.Grouping = append(q.Grouping, toks[j].text)
				case toks[j].text != ",":
					return Query{}, fmt.Errorf("unexpected %q in the label list of %s in %q", toks[j].text, t.text, expr)
				}
			}
			i = j
		case slices.Contains(binaryKeywords, t.text):
		case next(1).text == "(" || next(1).text == "by" || next(1).text == "without":
			if !slices.Contains(promqlFunctions, t.text) {
				return Query{}, fmt.Errorf("unknown function %s in %q", t.text, expr)
			}
			q.Functions = append(q.Functions, t.text)
		default:
			s := Selector{Metric: t.text}
			if next(1).text == "{" {
				j, matchers, err := matchers(toks, i+2, expr)
				if err != nil {
					return Query{}, err
				}
				s.Matchers, i = matchers, j
			}
			q.Selectors = append(q.Selectors, s)
		}
	}
	if depth != 0 {
		return Query{}, fmt.Errorf("unbalanced ( in %q", expr)
	}
	if len(q.Selectors) == 0 && !slices.Contains(q.Functions, "time") {
		return Query{}, fmt.Errorf("no metric in %q", expr)
	}
	return q, nil
}

// matchers reads label matchers from toks[i] to the closing brace and
// returns the index of the brace.
func matchers(toks []token, i int, expr string) (int, []Matcher, error) {
	var out []Matcher
	for ; i < len(toks); i++ {
		if toks[i].text == "}" {
			return i, out, nil
		}
		if toks[i].text == "," {
			continue
		}
		if i+2 >= len(toks) || toks[i].kind != tokIdent || toks[i+2].kind != tokString ||
			!slices.Contains([]string{"=", "!=", "=~", "!~"}, toks[i+1].text) {
			return 0, nil, fmt.Errorf("bad label matcher at %q in %q", toks[i].text, expr)
		}
		out = append(out, Matcher{Label: toks[i].text, Op: toks[i+1].text, Value: toks[i+2].text})
		i += 2
	}
	return 0, nil, fmt.Errorf("unclosed { in %q", expr)
}

// lex splits expr into tokens. String tokens hold their unquoted value.
func lex(expr string) ([]token, error) {
	var out []token
	for i := 0; i < len(expr); {
		c := rune(expr[i])
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '_' || c == ':' || unicode.IsLetter(c):
			j := i
			for j < len(expr) && (expr[j] == '_' || expr[j] == ':' || unicode.IsLetter(rune(expr[j])) || unicode.IsDigit(rune(expr[j]))) {
				j++
			}
			out = append(out, token{tokIdent, expr[i:j]})
			i = j
		case unicode.IsDigit(c) || c == '.':
			j := i
			for j < len(expr) && (unicode.IsDigit(rune(expr[j])) || strings.ContainsRune(".eE", rune(expr[j]))) {
				j++
			}
			if _, err := strconv.ParseFloat(expr[i:j], 64); err != nil {
				return nil, fmt.Errorf("bad number %q in %q", expr[i:j], expr)
			}
			out = append(out, token{tokNumber, expr[i:j]})
			i = j
		case c == '"':
			j := i + 1
			for j < len(expr) && expr[j] != '"' {
				if expr[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(expr) {
				return nil, fmt.Errorf("unclosed string in %q", expr)
			}
			s, err := strconv.Unquote(expr[i : j+1])
			if err != nil {
				return nil, fmt.Errorf("bad string %s in %q: %w", expr[i:j+1], expr, err)
			}
			out = append(out, token{tokString, s})
			i = j + 1
		case c == '[':
			j := strings.IndexByte(expr[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("unclosed [ in %q", expr)
			}
			out = append(out, token{tokRange, expr[i : i+j+1]})
			i += j + 1
		default:
			op := ""
			for _, o := range []string{"=~", "!~", "==", "!=", "<=", ">=", "=", "<", ">", "+", "-", "*", "/", "%", "^", "(", ")", "{", "}", ","} {
				if strings.HasPrefix(expr[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				return nil, fmt.Errorf("unexpected %q in %q", expr[i:i+1], expr)
			}
			out = append(out, token{tokPunct, op})
			i += len(op)
		}
	}
	return out, nil
}
