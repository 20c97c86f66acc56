package embedded

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"
)

// sample is one series at evaluation time: its labels, with the metric
// name under __name__, and its value.
type sample struct {
	labels model.LabelSet
	value  float64
}

// series holds the gathered samples by metric name.
type series map[string][]sample

// expr is an instant-vector expression in the subset of PromQL that the
// retraining alerts use.
type expr interface {
	eval(s series) []sample
	// metricNames adds the names of the metrics the expression selects.
	metricNames(names map[string]bool)
}

// selector is an instant vector selector with equality matchers, such as
// driftwatch_quality_value{model="churn",metric="f1"}. A matcher on the
// empty value matches series without the label, as in PromQL.
type selector struct {
	name     string
	matchers map[model.LabelName]model.LabelValue
}

func (sel selector) eval(s series) []sample {
	var out []sample
	for _, smp := range s[sel.name] {
		if sel.matches(smp.labels) {
			out = append(out, smp)
		}
	}
	return out
}

func (sel selector) matches(ls model.LabelSet) bool {
	for k, v := range sel.matchers {
		if ls[k] != v {
			return false
		}
	}
	return true
}

func (sel selector) metricNames(names map[string]bool) { names[sel.name] = true }

// comparison filters a vector by comparing each sample with a number. As
// in PromQL without bool, it keeps the samples, metric name included, for
// which the comparison holds; any comparison with NaN is false.
type comparison struct {
	vec expr
	op  string
	rhs float64
}

func (c comparison) eval(s series) []sample {
	var out []sample
	for _, smp := range c.vec.eval(s) {
		if compare(c.op, smp.value, c.rhs) {
			out = append(out, smp)
		}
	}
	return out
}

func (c comparison) metricNames(names map[string]bool) { c.vec.metricNames(names) }

// compare applies one of PromQL's comparison operators.
func compare(op string, a, b float64) bool {
	switch op {
	case "==":
		return a == b
	case "!=":
		return a != b
	case ">":
		return a > b
	case "<":
		return a < b
	case ">=":
		return a >= b
	case "<=":
		return a <= b
	}
	panic("embedded: unknown comparison operator " + op) // the parser admits no other
}

// and is PromQL's `lhs and rhs` without on or ignoring: the samples of lhs
// for which rhs has a sample with the same labels, the metric name aside.
type and struct{ lhs, rhs expr }

func (a and) eval(s series) []sample {
	right := map[model.Fingerprint]bool{}
	for _, smp := range a.rhs.eval(s) {
		right[signature(smp.labels)] = true
	}
	var out []sample
	for _, smp := range a.lhs.eval(s) {
		if right[signature(smp.labels)] {
			out = append(out, smp)
		}
	}
	return out
}

func (a and) metricNames(names map[string]bool) {
	a.lhs.metricNames(names)
	a.rhs.metricNames(names)
}

// signature identifies a label set without its metric name, as vector
// matching does.
func signature(ls model.LabelSet) model.Fingerprint {
	c := ls.Clone()
	delete(c, model.MetricNameLabel)
	return c.Fingerprint()
}

// parseExpr parses the subset of PromQL that evaluate supports:
//
//	expr     = term { "and" term }
//	term     = selector [ ( "==" | "!=" | ">=" | "<=" | ">" | "<" ) number ]
//	selector = name [ "{" [ label "=" string { "," label "=" string } ] "}" ]
//
// Anything else, such as a function call or a regular expression matcher,
// is an error.
func parseExpr(text string) (expr, error) {
	p := &parser{text: text}
	e, err := p.expr()
	if err != nil {
		return nil, err
	}
	if p.skipSpace(); p.pos < len(p.text) {
		return nil, p.errorf("unexpected %q", p.rest())
	}
	return e, nil
}

// parser is a recursive descent parser over an expression's text.
type parser struct {
	text string
	pos  int
}

func (p *parser) expr() (expr, error) {
	e, err := p.term()
	for err == nil && p.keyword("and") {
		var rhs expr
		if rhs, err = p.term(); err == nil {
			e = and{lhs: e, rhs: rhs}
		}
	}
	return e, err
}

func (p *parser) term() (expr, error) {
	sel, err := p.selector()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	for _, op := range []string{"==", "!=", ">=", "<=", ">", "<"} {
		if strings.HasPrefix(p.rest(), op) {
			p.pos += len(op)
			rhs, err := p.number()
			if err != nil {
				return nil, err
			}
			return comparison{vec: sel, op: op, rhs: rhs}, nil
		}
	}
	return sel, nil
}

func (p *parser) selector() (expr, error) {
	p.skipSpace()
	name := p.name(true)
	if name == "" {
		return nil, p.errorf("want a metric name, got %q", p.rest())
	}
	sel := selector{name: name, matchers: map[model.LabelName]model.LabelValue{}}
	if p.skipSpace(); !p.consume("{") {
		return sel, nil
	}
	for p.skipSpace(); !p.consume("}"); p.skipSpace() {
		if len(sel.matchers) > 0 && !p.consume(",") {
			return nil, p.errorf("want , or } in the selector of %s, got %q", name, p.rest())
		}
		p.skipSpace()
		label := p.name(false)
		if p.skipSpace(); label == "" || !p.consume("=") || strings.HasPrefix(p.rest(), "~") {
			return nil, p.errorf("want label=\"value\" in the selector of %s, got %q", name, p.rest())
		}
		p.skipSpace()
		value, err := p.str()
		if err != nil {
			return nil, err
		}
		sel.matchers[model.LabelName(label)] = model.LabelValue(value)
	}
	return sel, nil
}

// name reads a metric name (colons allowed) or a label name.
func (p *parser) name(metric bool) string {
	start := p.pos
	for p.pos < len(p.text) {
		c := p.text[p.pos]
		letter := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || metric && c == ':'
		if !letter && (p.pos == start || c < '0' || c > '9') {
			break
		}
		p.pos++
	}
	return p.text[start:p.pos]
}

// str reads a double-quoted string with Go's escapes, as the generator
// writes them.
func (p *parser) str() (string, error) {
	if !strings.HasPrefix(p.rest(), `"`) {
		return "", p.errorf("want a quoted label value, got %q", p.rest())
	}
	for end := p.pos + 1; end < len(p.text); end++ {
		switch p.text[end] {
		case '\\':
			end++
		case '"':
			s, err := strconv.Unquote(p.text[p.pos : end+1])
			if err != nil {
				return "", p.errorf("bad label value %s: %v", p.text[p.pos:end+1], err)
			}
			p.pos = end + 1
			return s, nil
		}
	}
	return "", p.errorf("unterminated label value %s", p.rest())
}

// number reads a float in Go's syntax, which covers what the generator
// writes with strconv.FormatFloat.
func (p *parser) number() (float64, error) {
	p.skipSpace()
	end := p.pos
	for end < len(p.text) && strings.IndexByte(" \t\n)", p.text[end]) < 0 {
		end++
	}
	v, err := strconv.ParseFloat(p.text[p.pos:end], 64)
	if err != nil {
		return 0, p.errorf("want a number, got %q", p.rest())
	}
	p.pos = end
	return v, nil
}

// keyword consumes the keyword kw when it comes next as a whole word.
func (p *parser) keyword(kw string) bool {
	p.skipSpace()
	save := p.pos
	if p.name(false) == kw {
		return true
	}
	p.pos = save
	return false
}

func (p *parser) consume(s string) bool {
	if strings.HasPrefix(p.rest(), s) {
		p.pos += len(s)
		return true
	}
	return false
}

func (p *parser) skipSpace() {
	for p.pos < len(p.text) && strings.IndexByte(" \t\r\n", p.text[p.pos]) >= 0 {
		p.pos++
	}
}

func (p *parser) rest() string { return p.text[p.pos:] }

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", p.pos, fmt.Sprintf(format, args...))
}
