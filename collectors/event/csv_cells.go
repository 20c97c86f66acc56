package event

import (
	"strconv"
	"strings"

	"github.com/driftwatch/driftwatch/collectors"
)

// assignCell stores the text of a non-empty cell in the event field t.
func (d *Decoder) assignCell(path string, t target, cell []byte) {
	ev := d.ev
	text := token{kind: tokString, text: cell}
	switch t.role {
	case roleFeature:
		if d.numeric(t.feature) {
			d.setCellNumber(&ev.Features[t.feature], path, &text, true)
		} else {
			d.setText(&ev.Features[t.feature], path, &text)
		}
	case roleID:
		ev.ID = cell
	case roleVersion:
		ev.ModelVersion = cell
	case roleModel:
		d.setModel(path, &text)
	case roleTime:
		d.setCellTime(path, &text)
	case rolePrediction, roleLabel:
		dst := &ev.Prediction
		if t.role == roleLabel {
			dst = &ev.Label
		}
		if d.kind == collectors.Regression {
			d.setCellNumber(dst, path, &text, false)
		} else {
			d.setOutput(dst, path, &text)
		}
	case roleScore:
		f := Value{Missing: true}
		if d.setCellNumber(&f, path, &text, true); !f.Missing {
			d.checkScore(path, f.Num, &text)
		}
	}
}

// setCellNumber stores the number in a cell; NaN and the infinities only
// when nonFinite. A cell of blanks is absent.
func (d *Decoder) setCellNumber(dst *Value, path string, v *token, nonFinite bool) {
	b := trimBlank(v.text)
	if len(b) == 0 {
		return
	}
	if !isCSVNumber(b) {
		d.reject(&Error{Reason: ReasonInvalidNumber, Path: path, Detail: "got " + v.describe() + ", want a number"})
		return
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil && !isSpecial(b) {
		d.reject(invalidNumber(path, v))
		return
	}
	if !nonFinite && (f != f || f-f != 0) {
		d.reject(&Error{Reason: ReasonInvalidNumber, Path: path, Detail: "got " + v.describe() + ", want a finite number"})
		return
	}
	dst.Num, dst.Missing = f, false
}

// setCellTime stores the time in a cell: a Unix time written as a JSON
// number, or else RFC 3339.
func (d *Decoder) setCellTime(path string, v *token) {
	in, pos := d.in, d.pos
	d.in, d.pos = v.text, 0
	n := token{kind: tokNumber, text: v.text}
	isNumber := d.number(&n.num) == nil && d.pos == len(d.in)
	d.in, d.pos = in, pos
	if isNumber {
		d.setTime(path, &n)
		return
	}
	d.setTime(path, v)
}

// isCSVNumber reports whether b is a decimal literal or NaN, Inf or
// Infinity (see CSVDecoder).
func isCSVNumber(b []byte) bool {
	if isSpecial(b) {
		return true
	}
	i := 0
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		i++
	}
	n := 0
	for ; i < len(b) && isDigit(b[i]); i++ {
		n++
	}
	if i < len(b) && b[i] == '.' {
		for i++; i < len(b) && isDigit(b[i]); i++ {
			n++
		}
	}
	if n == 0 {
		return false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		e := 0
		for ; i < len(b) && isDigit(b[i]); i++ {
			e++
		}
		if e == 0 {
			return false
		}
	}
	return i == len(b)
}

// isSpecial reports whether b is NaN, or Inf or Infinity with an optional
// sign, in any letter case.
func isSpecial(b []byte) bool {
	body := b
	if len(body) > 0 && (body[0] == '+' || body[0] == '-') {
		body = body[1:]
	}
	switch {
	case len(body) == len(b) && strings.EqualFold(string(body), "nan"):
		return true
	case strings.EqualFold(string(body), "inf"), strings.EqualFold(string(body), "infinity"):
		return true
	}
	return false
}

func trimBlank(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
