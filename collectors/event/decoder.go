package event

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/drift"
)

// MaxDepth bounds how deeply objects and arrays may nest in a payload. Real
// events nest a few levels; the bound keeps a hostile payload from costing
// more than its length, and deeper payloads are rejected as oversized.
const MaxDepth = 64

// Decoder turns raw payloads of one model into Events. It is compiled once
// from the model's configuration and knows the dotted path of every field it
// reads; everything else in a payload is checked for validity and skipped.
//
// A Decoder keeps buffers between calls and is not safe for concurrent use:
// give each goroutine its own.
type Decoder struct {
	model     []byte
	kind      collectors.PredictionKind
	features  []collectors.FeatureConfig
	isNumeric []bool              // per feature
	classes   map[string]struct{} // nil when the configuration lists none
	positive  []byte              // the binary classes derived from a score
	negative  []byte
	threshold float64
	requireID bool // prediction events need an ID, for the label join
	plans     [3]*plan

	// State of the current call.
	in   []byte
	pos  int
	ev   *Event
	fail *Error   // the first rejection found in a syntactically valid payload
	text []byte   // decoded strings of the current event; append only
	key  []byte   // the current decoded object key
	seen []uint32 // per plan node, the generation that last read it
	gen  uint32
}

// NewDecoder compiles the decoder of the model described by cfg. It checks
// the parts of cfg it uses; the rest of the configuration is validated by
// ModelConfig.Validate.
func NewDecoder(cfg collectors.ModelConfig) (*Decoder, error) {
	d := &Decoder{
		model:     []byte(cfg.Name),
		kind:      cfg.Prediction.Kind,
		features:  slices.Clone(cfg.Features),
		threshold: cfg.Prediction.DecisionThreshold,
		requireID: cfg.Label.Enabled,
	}
	if err := d.compile(cfg); err != nil {
		return nil, fmt.Errorf("event decoder for model %q: %w", cfg.Name, err)
	}
	return d, nil
}

func (d *Decoder) compile(cfg collectors.ModelConfig) error {
	if cfg.Name == "" {
		return errors.New("model name is required")
	}
	switch d.kind {
	case collectors.Binary, collectors.Multiclass, collectors.Regression:
	default:
		return fmt.Errorf("unknown prediction kind %q", string(d.kind))
	}
	for i, f := range cfg.Features {
		if err := f.Type.Validate(); err != nil {
			return fmt.Errorf("feature %q: %w", f.Name, err)
		}
		if err := checkPath(cfg.FeatureField(f)); err != nil {
			return fmt.Errorf("features[%d] %q: %w", i, f.Name, err)
		}
		d.isNumeric = append(d.isNumeric, f.Type == drift.Numeric)
	}
	if len(cfg.Prediction.Classes) > 0 {
		d.classes = make(map[string]struct{}, len(cfg.Prediction.Classes))
		for _, c := range cfg.Prediction.Classes {
			d.classes[c] = struct{}{}
		}
	}
	if d.kind == collectors.Binary && len(cfg.Prediction.Classes) == 2 {
		if !(d.threshold > 0 && d.threshold < 1) {
			return fmt.Errorf("decision threshold %v is outside (0, 1)", d.threshold)
		}
		d.positive = []byte(cfg.Prediction.PositiveClass)
		d.negative = []byte(cfg.Prediction.Classes[0])
		if cfg.Prediction.Classes[0] == cfg.Prediction.PositiveClass {
			d.negative = []byte(cfg.Prediction.Classes[1])
		}
	}
	nodes := 0
	for _, k := range []Kind{KindPrediction, KindFeatures, KindLabel} {
		p, err := newPlan(d.fieldsOf(cfg, k))
		if err != nil {
			return fmt.Errorf("%s events: %w", k, err)
		}
		d.plans[k.index()] = p
		nodes = max(nodes, len(p.nodes))
	}
	d.seen = make([]uint32, nodes)
	return nil
}

// fieldsOf lists the fields that events of kind k carry, with their paths.
func (d *Decoder) fieldsOf(cfg collectors.ModelConfig, k Kind) []pathTarget {
	m := cfg.Source.Fields
	ts := []pathTarget{
		{m.ID, target{role: roleID}},
		{m.Model, target{role: roleModel}},
		{m.Timestamp, target{role: roleTime}},
	}
	if k == KindLabel {
		return append(ts, pathTarget{m.Label, target{role: roleLabel}})
	}
	ts = append(ts, pathTarget{m.ModelVersion, target{role: roleVersion}})
	for i, f := range cfg.Features {
		ts = append(ts, pathTarget{cfg.FeatureField(f), target{role: roleFeature, feature: i}})
	}
	if k == KindPrediction {
		ts = append(ts, pathTarget{m.Prediction, target{role: rolePrediction}})
		if d.kind != collectors.Regression {
			ts = append(ts, pathTarget{m.Score, target{role: roleScore}})
		}
	}
	return ts
}

// numeric reports whether feature i is numeric.
func (d *Decoder) numeric(i int) bool { return d.isNumeric[i] }

// begin prepares the decoder and ev for a new event of kind k.
func (d *Decoder) begin(ev *Event, k Kind) (*plan, error) {
	if err := k.Validate(); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	ev.reset(k, len(d.features))
	d.ev, d.fail, d.text = ev, nil, d.text[:0]
	d.gen++
	if d.gen == 0 { // wrapped: forget every mark so none looks current
		clear(d.seen)
		d.gen = 1
	}
	return d.plans[k.index()], nil
}

// reject records the first rejection of a syntactically valid payload. A
// later unknown model wins over any earlier rejection: an event of another
// model is misrouted, whatever else is wrong with it.
func (d *Decoder) reject(e *Error) {
	if d.fail == nil || e.Reason == ReasonUnknownModel && d.fail.Reason != ReasonUnknownModel {
		d.fail = e
	}
}

// finish applies the checks that need the whole event and the fallback
// time, and returns the event's rejection, if any.
func (d *Decoder) finish(fallback time.Time) error {
	if d.fail != nil {
		return d.fail
	}
	ev := d.ev
	if !ev.TimeFromEvent {
		if fallback.IsZero() {
			return &Error{Reason: ReasonMissingField, Path: d.pathOf(roleTime), Detail: "the event has no timestamp and there is no fallback time"}
		}
		ev.Time = fallback.UTC()
	}
	if len(ev.ID) == 0 && (ev.Kind == KindLabel || ev.Kind == KindPrediction && d.requireID) {
		return &Error{Reason: ReasonMissingField, Path: d.pathOf(roleID), Detail: "an id is required to join labels"}
	}
	switch ev.Kind {
	case KindPrediction:
		return d.finishPrediction(ev)
	case KindLabel:
		if ev.Label.Missing {
			return &Error{Reason: ReasonMissingField, Path: d.pathOf(roleLabel), Detail: "a label event needs a label"}
		}
	}
	return nil
}

func (d *Decoder) finishPrediction(ev *Event) error {
	if !ev.Prediction.Missing {
		return nil
	}
	if ev.HasScore && d.positive != nil {
		ev.Prediction.Missing, ev.PredictionFromScore = false, true
		ev.Prediction.Text = d.negative
		if ev.Score >= d.threshold {
			ev.Prediction.Text = d.positive
		}
		return nil
	}
	if ev.HasScore && d.kind == collectors.Binary {
		return nil // a score alone, without the classes to name the class
	}
	return &Error{Reason: ReasonMissingField, Path: d.pathOf(rolePrediction), Detail: "a prediction event needs a prediction"}
}

// pathOf returns the configured path of a non-feature role.
func (d *Decoder) pathOf(r role) string {
	for _, p := range d.plans {
		for _, n := range p.nodes {
			for _, t := range n.targets {
				if t.role == r {
					return n.path
				}
			}
		}
	}
	return r.String()
}

// checkPath rejects empty paths and empty segments, and keys that no JSON
// key can match: object keys are compared after decoding, which turns
// invalid UTF-8 into U+FFFD.
func checkPath(p string) error {
	if p == "" || strings.Contains("."+p+".", "..") {
		return fmt.Errorf("field path %q has an empty segment", p)
	}
	if !utf8.ValidString(p) || strings.ContainsRune(p, utf8.RuneError) {
		return fmt.Errorf("field path %q is not valid UTF-8", p)
	}
	return nil
}
