package event

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/collectors"
)

// This file is the test oracle: an independent implementation of the
// documented decoding rules on top of encoding/json's tokenizer, which the
// fuzz tests hold the hand-written scanner to.

// jsonObject is an object as encoding/json's tokenizer reads it, with its
// keys in order and repeated keys kept.
type jsonObject struct {
	keys []string
	vals []any
}

// oracleParse reads a valid payload into objects, []any, string,
// json.Number, bool and nil, and returns the deepest nesting of objects and
// arrays.
func oracleParse(payload []byte) (any, int, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	return oracleValue(dec, 0)
}

func oracleValue(dec *json.Decoder, depth int) (any, int, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, 0, err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return tok, depth, nil
	}
	deepest := depth + 1
	var obj *jsonObject
	var arr []any
	if delim == '{' {
		obj = &jsonObject{}
	}
	for dec.More() {
		if obj != nil {
			k, err := dec.Token()
			if err != nil {
				return nil, 0, err
			}
			obj.keys = append(obj.keys, k.(string))
		}
		v, d, err := oracleValue(dec, depth+1)
		if err != nil {
			return nil, 0, err
		}
		deepest = max(deepest, d)
		if obj != nil {
			obj.vals = append(obj.vals, v)
		} else {
			arr = append(arr, v)
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, 0, err
	}
	if obj != nil {
		return obj, deepest, nil
	}
	return arr, deepest, nil
}

// get returns the value of the last key k, as encoding/json keeps it.
func (o *jsonObject) get(k string) (any, bool) {
	for i := len(o.keys) - 1; i >= 0; i-- {
		if o.keys[i] == k {
			return o.vals[i], true
		}
	}
	return nil, false
}

// oracleField is one field an event kind reads.
type oracleField struct {
	path    string
	role    string
	feature int
}

func oracleFields(cfg collectors.ModelConfig, k Kind) []oracleField {
	m := cfg.Source.Fields
	fs := []oracleField{{m.ID, "id", 0}, {m.Model, "model", 0}, {m.Timestamp, "timestamp", 0}}
	if k == KindLabel {
		return append(fs, oracleField{m.Label, "label", 0})
	}
	fs = append(fs, oracleField{m.ModelVersion, "model_version", 0})
	for i, f := range cfg.Features {
		fs = append(fs, oracleField{cfg.FeatureField(f), "feature", i})
	}
	if k == KindPrediction {
		fs = append(fs, oracleField{m.Prediction, "prediction", 0})
		if cfg.Prediction.Kind != collectors.Regression {
			fs = append(fs, oracleField{m.Score, "score", 0})
		}
	}
	return fs
}

// view is an Event in comparable form.
type view struct {
	ID, Model, ModelVersion string
	Time                    time.Time
	TimeFromEvent           bool
	Features                []valueView
	Prediction              valueView
	PredictionFromScore     bool
	Score                   uint64
	HasScore                bool
	Label                   valueView
}

type valueView struct {
	Num     uint64 // the bits, so that -0 and 0 differ
	Text    string
	Missing bool
}

func viewOf(ev *Event) view {
	v := view{
		ID: string(ev.ID), Model: string(ev.Model), ModelVersion: string(ev.ModelVersion),
		Time: ev.Time, TimeFromEvent: ev.TimeFromEvent, Prediction: valueViewOf(ev.Prediction),
		PredictionFromScore: ev.PredictionFromScore, Score: math.Float64bits(ev.Score), HasScore: ev.HasScore,
		Label: valueViewOf(ev.Label),
	}
	for _, f := range ev.Features {
		v.Features = append(v.Features, valueViewOf(f))
	}
	return v
}

func valueViewOf(v Value) valueView {
	return valueView{Num: math.Float64bits(v.Num), Text: string(v.Text), Missing: v.Missing}
}

// verdict is what the oracle expects of a payload: acceptance with want, or
// a rejection with one of reasons (any semantic reason when anySemantic).
type verdict struct {
	want        view
	reasons     map[Reason]bool
	anySemantic bool
}

func (v verdict) accepts() bool { return len(v.reasons) == 0 && !v.anySemantic }

func (v verdict) allows(r Reason) bool {
	if v.anySemantic {
		switch r {
		case ReasonMalformedJSON, ReasonMalformedCSV, ReasonNotAnObject, ReasonOversized, "":
			return false
		}
		return true
	}
	return v.reasons[r]
}

// oracleDecode applies the documented rules to payload.
func oracleDecode(cfg collectors.ModelConfig, k Kind, payload []byte, fallback time.Time) verdict {
	reject := func(rs ...Reason) verdict {
		v := verdict{reasons: map[Reason]bool{}}
		for _, r := range rs {
			v.reasons[r] = true
		}
		return v
	}
	if !json.Valid(payload) {
		return reject(ReasonMalformedJSON, ReasonOversized)
	}
	root, depth, err := oracleParse(payload)
	if err != nil {
		panic("encoding/json disagrees with itself: " + err.Error())
	}
	if depth > MaxDepth {
		return reject(ReasonOversized)
	}
	obj, ok := root.(*jsonObject)
	if !ok {
		return reject(ReasonNotAnObject)
	}
	o := oracle{cfg: cfg, kind: k, fields: oracleFields(cfg, k), valueErrs: map[Reason]bool{}}
	if o.duplicated(obj, "") {
		return verdict{anySemantic: true}
	}
	return o.decode(obj, fallback)
}

type oracle struct {
	cfg       collectors.ModelConfig
	kind      Kind
	fields    []oracleField
	valueErrs map[Reason]bool
	ev        view
}

// isNode reports whether path is a read field or leads to one.
func (o *oracle) isNode(path string) (node, inner bool) {
	for _, f := range o.fields {
		if f.path == path {
			node = true
		}
		if strings.HasPrefix(f.path, path+".") {
			node, inner = true, true
		}
	}
	return node, inner
}

// duplicated reports whether an object along the read paths repeats a key
// of a read path.
func (o *oracle) duplicated(obj *jsonObject, prefix string) bool {
	seen := map[string]bool{}
	for i, k := range obj.keys {
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		node, inner := o.isNode(path)
		if !node {
			continue
		}
		if seen[k] {
			return true
		}
		seen[k] = true
		if sub, ok := obj.vals[i].(*jsonObject); ok && inner && o.duplicated(sub, path) {
			return true
		}
	}
	return false
}

// lookup walks path; it reports a non-object on the way as wrong_type.
func (o *oracle) lookup(root *jsonObject, path string) (any, bool) {
	var cur any = root
	for _, seg := range strings.Split(path, ".") {
		obj, ok := cur.(*jsonObject)
		if !ok {
			if cur != nil {
				o.valueErrs[ReasonWrongType] = true
			}
			return nil, false
		}
		if cur, ok = obj.get(seg); !ok {
			return nil, false
		}
	}
	return cur, true
}

func (o *oracle) decode(root *jsonObject, fallback time.Time) verdict {
	o.ev = view{Prediction: valueView{Missing: true}, Label: valueView{Missing: true}}
	for range o.cfg.Features {
		o.ev.Features = append(o.ev.Features, valueView{Missing: true})
	}
	for _, f := range o.fields {
		if v, ok := o.lookup(root, f.path); ok && v != nil {
			o.field(f, v)
		}
	}
	if len(o.valueErrs) > 0 {
		if o.valueErrs[ReasonUnknownModel] {
			return verdict{reasons: map[Reason]bool{ReasonUnknownModel: true}}
		}
		return verdict{reasons: o.valueErrs}
	}
	if r := o.missing(fallback); r != "" {
		return verdict{reasons: map[Reason]bool{r: true}}
	}
	return verdict{want: o.ev}
}
