package pipelines

import (
	"errors"
	"fmt"
	"math"
)

// Check names one kind of gate threshold.
type Check string

// The gate's checks.
const (
	CheckLower          Check = "lower"
	CheckUpper          Check = "upper"
	CheckChangeAbsolute Check = "change_absolute"
	CheckChangeRelative Check = "change_relative"
	// CheckNoThresholds fails a gate that has no threshold to apply.
	CheckNoThresholds Check = "no_thresholds"
)

// Verdict is the gate's decision on a challenger.
type Verdict struct {
	OK       bool      `json:"ok"`
	Failures []Failure `json:"failures,omitempty"`
	// Checked is the number of thresholds applied.
	Checked int `json:"checked"`
	// Override is set when an operator approved a rejected challenger.
	Override *Audit `json:"override,omitempty"`
}

// Failure is one threshold that the challenger missed.
type Failure struct {
	Metric    string  `json:"metric,omitempty"`
	Check     Check   `json:"check"`
	Threshold float64 `json:"threshold"`
	// Value is the challenger's value of the metric.
	Value float64 `json:"value"`
	// Champion is the champion's value, for change checks.
	Champion *float64 `json:"champion,omitempty"`
	Message  string   `json:"message"`
}

// gateTolerance absorbs floating-point rounding in comparisons, so that a
// challenger exactly at a threshold (0.795 against 0.8 - 0.005) passes.
const gateTolerance = 1e-9

// Judge decides whether a challenger may replace the champion, in the
// manner of TFX model validation. Every metric of the gate must be in the
// challenger's metrics; its lower and upper bounds apply to the
// challenger's value. Change thresholds compare it with the champion's
// value on the same holdout, and apply only when hasChampion is set; the
// champion's metric must then be present too. A missing metric is an
// error, not a rejection: the evaluation is broken, not the model. A gate
// that applies no threshold at all rejects, so there is always a decision.
func Judge(cfg GateConfig, challenger, champion map[string]float64, hasChampion bool) (Verdict, error) {
	var v Verdict
	var errs []error
	for _, m := range cfg.Metrics {
		value, ok := challenger[m.Metric]
		if !ok {
			errs = append(errs, fmt.Errorf("metric %q of the gate is missing from the evaluate step's metrics", m.Metric))
			continue
		}
		if m.Lower != nil {
			v.Checked++
			if value < *m.Lower-tolerance(*m.Lower) {
				v.Failures = append(v.Failures, Failure{Metric: m.Metric, Check: CheckLower, Threshold: *m.Lower, Value: value,
					Message: fmt.Sprintf("%s %v is below the lower bound %v", m.Metric, value, *m.Lower)})
			}
		}
		if m.Upper != nil {
			v.Checked++
			if value > *m.Upper+tolerance(*m.Upper) {
				v.Failures = append(v.Failures, Failure{Metric: m.Metric, Check: CheckUpper, Threshold: *m.Upper, Value: value,
					Message: fmt.Sprintf("%s %v is above the upper bound %v", m.Metric, value, *m.Upper)})
			}
		}
		if m.Change == nil || !hasChampion {
			continue
		}
		base, ok := champion[m.Metric]
		if !ok {
			errs = append(errs, fmt.Errorf("metric %q of the gate is missing from the evaluate step's champion_metrics", m.Metric))
			continue
		}
		v.Checked += changeChecks(&v, m.Metric, *m.Change, value, base)
	}
	if err := errors.Join(errs...); err != nil {
		return Verdict{}, err
	}
	if v.Checked == 0 {
		msg := "the gate has no thresholds, so every challenger is rejected"
		if len(cfg.Metrics) > 0 {
			msg = "no threshold applies: the gate has only change thresholds and there is no champion to compare with"
		}
		v.Failures = append(v.Failures, Failure{Check: CheckNoThresholds, Message: msg})
	}
	v.OK = len(v.Failures) == 0
	return v, nil
}

// changeChecks applies a change threshold, appends its failures to v and
// returns the number of checks applied.
func changeChecks(v *Verdict, metric string, c ChangeThreshold, value, base float64) int {
	// improvement is positive when the challenger is better.
	improvement := value - base
	if c.Direction == LowerIsBetter {
		improvement = base - value
	}
	champ := base
	n := 0
	if c.Absolute != nil {
		n++
		if improvement < *c.Absolute-tolerance(*c.Absolute, base) {
			v.Failures = append(v.Failures, Failure{Metric: metric, Check: CheckChangeAbsolute, Threshold: *c.Absolute, Value: value, Champion: &champ,
				Message: fmt.Sprintf("%s %v against champion %v improves by %.6g, less than the required %v (%s)", metric, value, base, improvement, *c.Absolute, c.Direction)})
		}
	}
	if c.Relative != nil {
		n++
		// Compare improvement with relative × |champion|, so a champion
		// of 0 needs no division.
		if improvement < *c.Relative*math.Abs(base)-tolerance(*c.Relative, base) {
			v.Failures = append(v.Failures, Failure{Metric: metric, Check: CheckChangeRelative, Threshold: *c.Relative, Value: value, Champion: &champ,
				Message: fmt.Sprintf("%s %v against champion %v improves by %.6g, less than the required %v × %v = %.6g (%s)",
					metric, value, base, improvement, *c.Relative, math.Abs(base), *c.Relative*math.Abs(base), c.Direction)})
		}
	}
	return n
}

func tolerance(xs ...float64) float64 {
	m := 1.0
	for _, x := range xs {
		m = math.Max(m, math.Abs(x))
	}
	return gateTolerance * m
}
