package event

import (
	"bytes"
	"strconv"

	"github.com/driftwatch/driftwatch/collectors"
)

// tokKind is the JSON type of a value read from a payload.
type tokKind uint8

const (
	tokString tokKind = iota + 1
	tokNumber
	tokBool
	tokNull
	tokContainer // an object or an array
)

// token is one value read from a payload.
type token struct {
	kind tokKind
	// text is the decoded text of a string, or the literal text of any
	// other value.
	text []byte
	num  decimal // of a number
}

// describe names the value for an error detail, with an excerpt.
func (v *token) describe() string {
	switch v.kind {
	case tokString:
		return "a string " + excerpt(v.text)
	case tokNumber:
		return "the number " + excerpt(v.text)
	case tokBool:
		return string(v.text)
	case tokNull:
		return "null"
	}
	return jsonType(v.text[0]) + " " + excerpt(v.text)
}

// assign stores v, read from path, in the event field t. Null means absent
// for every field; which fields an event needs is checked by finish.
func (d *Decoder) assign(path string, t target, v *token) {
	ev := d.ev
	if v.kind == tokNull {
		return
	}
	switch t.role {
	case roleFeature:
		if d.numeric(t.feature) {
			d.setNumber(&ev.Features[t.feature], path, v)
		} else {
			d.setText(&ev.Features[t.feature], path, v)
		}
	case roleID:
		ev.ID = d.identifier(path, v)
	case roleVersion:
		ev.ModelVersion = d.identifier(path, v)
	case roleModel:
		d.setModel(path, v)
	case roleTime:
		d.setTime(path, v)
	case rolePrediction:
		d.setOutput(&ev.Prediction, path, v)
	case roleLabel:
		d.setOutput(&ev.Label, path, v)
	case roleScore:
		d.setScore(path, v)
	}
}

// setNumber stores a numeric value: only JSON numbers are numbers.
func (d *Decoder) setNumber(dst *Value, path string, v *token) {
	if v.kind != tokNumber {
		d.reject(wrongType(path, "a number", v))
		return
	}
	f, ok := toFloat(v.num, v.text)
	if !ok {
		d.reject(invalidNumber(path, v))
		return
	}
	dst.Num, dst.Missing = f, false
}

// setText stores a categorical value as its canonical text: the decoded
// text of a string, the literal text of a number, or true or false. The
// empty string is missing, as it is in CSV and to the window accumulators.
func (d *Decoder) setText(dst *Value, path string, v *token) {
	if v.kind == tokContainer {
		d.reject(wrongType(path, "a string, number or boolean", v))
		return
	}
	if len(v.text) > 0 {
		dst.Text, dst.Missing = v.text, false
	}
}

// identifier returns the text of an id or a model version: a string or a
// number.
func (d *Decoder) identifier(path string, v *token) []byte {
	if v.kind != tokString && v.kind != tokNumber {
		d.reject(wrongType(path, "a string or a number", v))
		return nil
	}
	return v.text
}

// setModel stores the model name and rejects events of other models.
func (d *Decoder) setModel(path string, v *token) {
	if v.kind != tokString {
		d.reject(wrongType(path, "a string", v))
		return
	}
	if len(v.text) > 0 && !bytes.Equal(v.text, d.model) {
		d.reject(&Error{Reason: ReasonUnknownModel, Path: path, Detail: "got " + excerpt(v.text) + ", want " + strconv.Quote(string(d.model))})
	}
	d.ev.Model = v.text
}

// setTime stores the event time.
func (d *Decoder) setTime(path string, v *token) {
	var ok bool
	switch v.kind {
	case tokString:
		d.ev.Time, ok = parseRFC3339(v.text)
	case tokNumber:
		if _, finite := toFloat(v.num, v.text); !finite {
			d.reject(invalidNumber(path, v))
			return
		}
		d.ev.Time, ok = unixTime(v.num, v.text)
	default:
		d.reject(wrongType(path, "an RFC 3339 string or a Unix time", v))
		return
	}
	if !ok {
		d.reject(&Error{Reason: ReasonInvalidTimestamp, Path: path, Detail: "got " + v.describe() + ", want RFC 3339 or Unix seconds or milliseconds from 1970 to 5138"})
		return
	}
	d.ev.TimeFromEvent = true
}

// setOutput stores a prediction or a label: a number for a regression, and
// otherwise a class, which must be one of the configured classes.
func (d *Decoder) setOutput(dst *Value, path string, v *token) {
	if d.kind == collectors.Regression {
		d.setNumber(dst, path, v)
		return
	}
	d.setText(dst, path, v)
	if d.classes == nil || dst.Missing {
		return
	}
	if _, ok := d.classes[string(dst.Text)]; !ok {
		dst.Missing = true
		d.reject(&Error{Reason: ReasonUnknownClass, Path: path, Detail: "got " + excerpt(dst.Text) + ", not one of the configured classes"})
	}
}

// setScore stores a classifier's score, which must be within [0, 1].
func (d *Decoder) setScore(path string, v *token) {
	f := Value{Missing: true}
	if d.setNumber(&f, path, v); !f.Missing {
		d.checkScore(path, f.Num, v)
	}
}

// checkScore stores the score f if it is within [0, 1].
func (d *Decoder) checkScore(path string, f float64, v *token) {
	if !(f >= 0 && f <= 1) {
		d.reject(&Error{Reason: ReasonScoreOutOfRange, Path: path, Detail: "got " + v.describe() + ", want a number within [0, 1]"})
		return
	}
	d.ev.Score, d.ev.HasScore = f, true
}

func wrongType(path, want string, v *token) *Error {
	return &Error{Reason: ReasonWrongType, Path: path, Detail: "got " + v.describe() + ", want " + want}
}

// wrongTypeRaw is wrongType for a value known only by its raw text.
func wrongTypeRaw(path, want string, raw []byte) *Error {
	return &Error{Reason: ReasonWrongType, Path: path, Detail: "got " + jsonType(raw[0]) + " " + excerpt(raw) + ", want " + want}
}

func invalidNumber(path string, v *token) *Error {
	return &Error{Reason: ReasonInvalidNumber, Path: path, Detail: "got " + v.describe() + ", which overflows a 64-bit float"}
}
