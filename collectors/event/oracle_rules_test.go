package event

import (
	"encoding/json"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/drift"
)

// The oracle's rules for each field, written from docs/decoding.md.

func (o *oracle) fail(r Reason) { o.valueErrs[r] = true }

func (o *oracle) field(f oracleField, v any) {
	classifier := o.cfg.Prediction.Kind != collectors.Regression
	switch f.role {
	case "feature":
		dst := &o.ev.Features[f.feature]
		if o.cfg.Features[f.feature].Type == drift.Numeric {
			o.number(dst, v)
		} else {
			o.text(dst, v)
		}
	case "id", "model_version":
		var s string
		switch v := v.(type) {
		case string:
			s = v
		case json.Number:
			s = string(v)
		default:
			o.fail(ReasonWrongType)
		}
		if f.role == "id" {
			o.ev.ID = s
		} else {
			o.ev.ModelVersion = s
		}
	case "model":
		s, ok := v.(string)
		if !ok {
			o.fail(ReasonWrongType)
			return
		}
		if s != "" && s != o.cfg.Name {
			o.fail(ReasonUnknownModel)
		}
		o.ev.Model = s
	case "timestamp":
		o.timestamp(v)
	case "prediction", "label":
		dst := &o.ev.Prediction
		if f.role == "label" {
			dst = &o.ev.Label
		}
		if !classifier {
			o.number(dst, v)
			return
		}
		o.text(dst, v)
		if len(o.cfg.Prediction.Classes) > 0 && !dst.Missing && !contains(o.cfg.Prediction.Classes, dst.Text) {
			o.fail(ReasonUnknownClass)
		}
	case "score":
		n, ok := v.(json.Number)
		if !ok {
			o.fail(ReasonWrongType)
			return
		}
		x, err := strconv.ParseFloat(string(n), 64)
		switch {
		case err != nil:
			o.fail(ReasonInvalidNumber)
		case x < 0 || x > 1:
			o.fail(ReasonScoreOutOfRange)
		default:
			o.ev.Score, o.ev.HasScore = math.Float64bits(x), true
		}
	}
}

func (o *oracle) number(dst *valueView, v any) {
	n, ok := v.(json.Number)
	if !ok {
		o.fail(ReasonWrongType)
		return
	}
	x, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		o.fail(ReasonInvalidNumber)
		return
	}
	*dst = valueView{Num: math.Float64bits(x)}
}

func (o *oracle) text(dst *valueView, v any) {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case json.Number:
		s = string(v)
	case bool:
		s = strconv.FormatBool(v)
	default:
		o.fail(ReasonWrongType)
		return
	}
	if s != "" {
		*dst = valueView{Text: s}
	}
}

var rfc3339Shape = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`)

// oracleRFC3339 is what time.Parse accepts in the documented shape, less
// the zone offsets of 24 hours or 60 minutes and more, which RFC 3339
// forbids and time.Parse lets through for compatibility (go.dev/issue/54580).
func oracleRFC3339(s string) (time.Time, bool) {
	if !rfc3339Shape.MatchString(s) {
		return time.Time{}, false
	}
	if z := s[len(s)-1]; z != 'Z' && (s[len(s)-5:len(s)-3] >= "24" || s[len(s)-2:] >= "60") {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	return t.UTC(), err == nil
}

// oracleUnix converts a Unix time literal without exponent exactly,
// truncating to the nanosecond.
func oracleUnix(lit string) (time.Time, bool) {
	x, err := strconv.ParseFloat(lit, 64)
	if err != nil || x < 0 || x >= unixLimit {
		return time.Time{}, false
	}
	if strings.ContainsAny(lit, "eE") {
		// Through float64, as documented; big.Rat would take forever on
		// 1e-1000000000.
		if x >= unixMillisFrom {
			x /= 1000
		}
		sec, frac := math.Modf(x)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
	}
	r, _ := new(big.Rat).SetString(lit)
	if x >= unixMillisFrom {
		r.Quo(r, big.NewRat(1000, 1))
	}
	ns := new(big.Int).Quo(new(big.Int).Mul(r.Num(), big.NewInt(1e9)), r.Denom())
	sec, nsec := new(big.Int).QuoRem(ns, big.NewInt(1e9), new(big.Int))
	return time.Unix(sec.Int64(), nsec.Int64()).UTC(), true
}

func (o *oracle) timestamp(v any) {
	var t time.Time
	var ok bool
	switch v := v.(type) {
	case string:
		t, ok = oracleRFC3339(v)
	case json.Number:
		if _, err := strconv.ParseFloat(string(v), 64); err != nil {
			o.fail(ReasonInvalidNumber)
			return
		}
		t, ok = oracleUnix(string(v))
	default:
		o.fail(ReasonWrongType)
		return
	}
	if !ok {
		o.fail(ReasonInvalidTimestamp)
		return
	}
	o.ev.Time, o.ev.TimeFromEvent = t, true
}

// missing applies the rules on required fields, and derives a binary class
// from a score.
func (o *oracle) missing(fallback time.Time) Reason {
	if !o.ev.TimeFromEvent {
		if fallback.IsZero() {
			return ReasonMissingField
		}
		o.ev.Time = fallback.UTC()
	}
	if o.ev.ID == "" && (o.kind == KindLabel || o.kind == KindPrediction && o.cfg.Label.Enabled) {
		return ReasonMissingField
	}
	p := o.cfg.Prediction
	switch {
	case o.kind == KindLabel && o.ev.Label.Missing:
		return ReasonMissingField
	case o.kind != KindPrediction || !o.ev.Prediction.Missing:
		return ""
	case o.ev.HasScore && p.Kind == collectors.Binary && len(p.Classes) == 2:
		negative := p.Classes[0]
		if negative == p.PositiveClass {
			negative = p.Classes[1]
		}
		class := negative
		if math.Float64frombits(o.ev.Score) >= p.DecisionThreshold {
			class = p.PositiveClass
		}
		o.ev.Prediction, o.ev.PredictionFromScore = valueView{Text: class}, true
		return ""
	case o.ev.HasScore && p.Kind == collectors.Binary:
		return ""
	}
	return ReasonMissingField
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
