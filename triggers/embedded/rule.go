package embedded

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/prometheus/common/model"

	"github.com/driftwatch/driftwatch/triggers/rules"
)

// Supported returns the names of the alerts the evaluator evaluates, in
// the order the generator writes them. See the package documentation for
// why the others are left out.
func Supported() []string {
	return []string{rules.FeatureDrift, rules.DatasetDrift, rules.QualityBelowThreshold}
}

// triggerLabel is the label that names the trigger rules selecting an
// alert; see docs/alerting.md.
const triggerLabel = "driftwatch_trigger"

// alertingRule is one generated alerting rule, ready to evaluate, with the
// state of its alerts.
type alertingRule struct {
	name          string
	group         string
	expr          expr
	holdFor       time.Duration
	keepFiringFor time.Duration
	labels        map[string]*template.Template
	annotations   map[string]*template.Template
	// active holds the pending and firing alerts by their labels'
	// fingerprint.
	active map[model.Fingerprint]*alert
}

// skippedRule is a generated alerting rule that the evaluator leaves out.
type skippedRule struct {
	name, group, triggers string
}

// compile prepares the supported alerting rules of f and lists the other
// alerting rules. A supported rule that does not parse is an error: the
// generator changed, and this package must follow.
func compile(f rules.File) ([]*alertingRule, []skippedRule, error) {
	supported := map[string]bool{}
	for _, n := range Supported() {
		supported[n] = true
	}
	var (
		out     []*alertingRule
		skipped []skippedRule
		errs    []error
	)
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			switch {
			case r.Alert == "":
				continue // recording rules only feed unsupported alerts
			case !supported[r.Alert]:
				skipped = append(skipped, skippedRule{name: r.Alert, group: g.Name, triggers: r.Labels[triggerLabel]})
				continue
			}
			ar, err := compileRule(g.Name, r)
			if err != nil {
				errs = append(errs, fmt.Errorf("group %s: alert %s: %w", g.Name, r.Alert, err))
				continue
			}
			out = append(out, ar)
		}
	}
	return out, skipped, errors.Join(errs...)
}

func compileRule(group string, r rules.Rule) (*alertingRule, error) {
	e, err := parseExpr(r.Expr)
	if err != nil {
		return nil, fmt.Errorf("expression %q: %w", r.Expr, err)
	}
	ar := &alertingRule{
		name: r.Alert, group: group, expr: e,
		labels:      map[string]*template.Template{},
		annotations: map[string]*template.Template{},
		active:      map[model.Fingerprint]*alert{},
	}
	var errs []error
	for _, d := range []struct {
		field, text string
		out         *time.Duration
	}{{"for", r.For, &ar.holdFor}, {"keep_firing_for", r.KeepFiringFor, &ar.keepFiringFor}} {
		if d.text == "" {
			continue
		}
		v, err := model.ParseDuration(d.text)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d.field, err))
		}
		*d.out = time.Duration(v)
	}
	for _, t := range []struct {
		kind string
		in   map[string]string
		out  map[string]*template.Template
	}{{"label", r.Labels, ar.labels}, {"annotation", r.Annotations, ar.annotations}} {
		for k, text := range t.in {
			tmpl, err := parseTemplate(r.Alert, text)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s %s: %w", t.kind, k, err))
			}
			t.out[k] = tmpl
		}
	}
	return ar, errors.Join(errs...)
}

// templateDefs are the variables Prometheus defines before expanding an
// alert's labels and annotations.
const templateDefs = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"

// templateData is what Prometheus hands an alert's templates.
type templateData struct {
	Labels         map[string]string
	ExternalLabels map[string]string
	ExternalURL    string
	Value          float64
}

// templateFuncs are the functions of Prometheus's template language that
// the generated annotations use, with its formatting. A template calling
// any other fails to parse, so New reports it.
var templateFuncs = template.FuncMap{
	"humanize":           humanize,
	"humanizePercentage": func(v float64) string { return fmt.Sprintf("%.4g%%", v*100) },
}

// humanize formats v with an SI prefix and four significant digits, as
// Prometheus's humanize does.
func humanize(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprintf("%.4g", v)
	}
	prefix := ""
	if math.Abs(v) >= 1 {
		for _, p := range []string{"k", "M", "G", "T", "P", "E", "Z", "Y"} {
			if math.Abs(v) < 1000 {
				break
			}
			prefix, v = p, v/1000
		}
	} else {
		for _, p := range []string{"m", "u", "n", "p", "f", "a", "z", "y"} {
			if math.Abs(v) >= 1 {
				break
			}
			prefix, v = p, v*1000
		}
	}
	return fmt.Sprintf("%.4g%s", v, prefix)
}

// parseTemplate parses a label or annotation as Prometheus does: with its
// variables defined first, and the zero value for a missing label.
func parseTemplate(alert, text string) (*template.Template, error) {
	return template.New("__alert_" + alert).Funcs(templateFuncs).Option("missingkey=zero").Parse(templateDefs + text)
}

// expand renders a template, or, as Prometheus does, says why it failed.
func expand(t *template.Template, data templateData) string {
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return fmt.Sprintf("<error expanding template: %s>", err)
	}
	return b.String()
}

// newAlert builds the alert a sample of the rule's result stands for: the
// sample's labels without the metric name, the rule's labels over them,
// and alertname; a label that expands to the empty value is dropped, as
// in Prometheus.
func (r *alertingRule) newAlert(s sample) *alert {
	data := templateData{Labels: map[string]string{}, Value: s.value}
	for k, v := range s.labels {
		data.Labels[string(k)] = string(v)
	}
	ls := s.labels.Clone()
	delete(ls, model.MetricNameLabel)
	for _, k := range slices.Sorted(maps.Keys(r.labels)) {
		if v := expand(r.labels[k], data); v != "" {
			ls[model.LabelName(k)] = model.LabelValue(v)
		} else {
			delete(ls, model.LabelName(k))
		}
	}
	ls[model.AlertNameLabel] = model.LabelValue(r.name)
	a := &alert{labels: ls, annotations: make(map[string]string, len(r.annotations)), value: s.value}
	for k, t := range r.annotations {
		a.annotations[k] = expand(t, data)
	}
	return a
}
