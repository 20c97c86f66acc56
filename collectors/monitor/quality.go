package monitor

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/collectors/event"
	"github.com/driftwatch/driftwatch/drift/quality"
)

// maxOpenClasses bounds the classes of a multiclass model that does not
// declare them: classes are numbered as they first appear, and pairs with
// a class beyond the bound are left out of the label metrics.
const maxOpenClasses = 128

// QualityReport is the outcome of one quality window: the joined pairs
// whose label arrived in it, and each configured metric over them.
type QualityReport struct {
	// Start and End bound the window by the labels' event times; for
	// count windows they are the earliest and latest label times.
	Start, End time.Time
	// Pairs is the number of joined (prediction, label) pairs.
	Pairs int64
	// Skipped reports that the window had fewer than quality.min_labels
	// pairs: no metric was computed.
	Skipped bool
	// Metrics holds one result per configured metric, in configuration
	// order, also when the window was skipped.
	Metrics []MetricResult
}

// MetricResult is one quality metric over one window.
type MetricResult struct {
	Metric    quality.Metric
	Threshold float64
	// Value is the metric, meaningful only when Defined.
	Value float64
	// Defined reports that the metric was computed. It is false when the
	// window was skipped, when fewer than quality.min_labels pairs had what
	// the metric needs (a score, a known class), and when the metric is
	// undefined on the pairs (quality.ErrUndefined, such as ROC AUC with a
	// single class). None of these is an alert.
	Defined bool
	// Breached reports that Value is worse than Threshold.
	Breached bool
}

// qualityAcc accumulates the joined pairs of one quality window. Only the
// accumulators the configured metrics need are set.
type qualityAcc struct {
	confusion *quality.Confusion
	scores    *quality.Scores
	residuals *quality.Residuals
}

func (a *qualityAcc) reset() {
	if a.confusion != nil {
		a.confusion.Reset()
	}
	if a.scores != nil {
		a.scores.Reset()
	}
	if a.residuals != nil {
		a.residuals.Reset()
	}
}

// pairing turns prediction and label events into quality inputs for one
// model: class indices, scores and values.
type pairing struct {
	kind      collectors.PredictionKind
	metrics   []collectors.QualityMetricConfig
	minLabels int64
	needs     map[quality.Kind]bool

	classes   int // size of the confusion matrix
	positive  int // index of the positive class
	posText   []byte
	threshold float64
	index     map[string]int // multiclass class -> index
	open      bool           // multiclass classes are numbered as they appear

	scoreCapacity int
	seed          uint64
	serial        uint64
}

func newPairing(cfg collectors.ModelConfig, scoreCapacity int, seed uint64) *pairing {
	p := &pairing{
		kind:          cfg.Prediction.Kind,
		metrics:       cfg.Quality.Metrics,
		minLabels:     int64(cfg.Quality.MinLabels),
		needs:         map[quality.Kind]bool{},
		posText:       []byte(cfg.Prediction.PositiveClass),
		threshold:     cfg.Prediction.DecisionThreshold,
		scoreCapacity: scoreCapacity,
		seed:          seed,
	}
	for _, m := range cfg.Quality.Metrics {
		p.needs[m.Metric.Kind()] = true
	}
	switch p.kind {
	case collectors.Binary:
		p.classes, p.positive = 2, 1
	case collectors.Multiclass:
		p.index = map[string]int{}
		for i, c := range cfg.Prediction.Classes {
			p.index[c] = i
		}
		p.classes, p.open = len(cfg.Prediction.Classes), len(cfg.Prediction.Classes) == 0
		if p.open {
			p.classes = maxOpenClasses
			if pc := cfg.Prediction.PositiveClass; pc != "" {
				p.index[pc] = 0
			}
		}
		p.positive = p.index[cfg.Prediction.PositiveClass] // 0 when there is none
	}
	return p
}

// newAcc returns the accumulators of an empty quality window.
func (p *pairing) newAcc() (*qualityAcc, error) {
	var a qualityAcc
	var err error
	if p.needs[quality.LabelKind] {
		if a.confusion, err = quality.NewConfusion(p.classes, p.positive); err != nil {
			return nil, fmt.Errorf("quality window: %w", err)
		}
	}
	if p.needs[quality.ScoreKind] {
		p.serial++
		if a.scores, err = quality.NewScores(p.scoreCapacity, p.seed+p.serial); err != nil {
			return nil, fmt.Errorf("quality window: %w", err)
		}
	}
	if p.needs[quality.RegressionKind] {
		a.residuals = &quality.Residuals{}
	}
	return &a, nil
}

// class returns the index of a class, or -1 when it cannot be numbered.
func (p *pairing) class(text []byte) int {
	switch p.kind {
	case collectors.Binary:
		if bytes.Equal(text, p.posText) {
			return 1
		}
		return 0
	case collectors.Multiclass:
		if i, ok := p.index[string(text)]; ok {
			return i
		}
		if p.open && len(p.index) < maxOpenClasses {
			i := len(p.index)
			p.index[string(text)] = i
			return i
		}
	}
	return -1
}

// prediction extracts what the quality metrics need of a prediction.
func (p *pairing) prediction(ev *event.Event) waiting {
	w := waiting{time: ev.Time.UnixNano(), class: -1, hasScore: ev.HasScore, score: ev.Score}
	switch {
	case p.kind == collectors.Regression:
		w.hasValue, w.value = !ev.Prediction.Missing, ev.Prediction.Num
	case !ev.Prediction.Missing:
		w.class = int32(p.class(ev.Prediction.Text))
	case p.kind == collectors.Binary && ev.HasScore:
		w.class = 0
		if ev.Score >= p.threshold {
			w.class = 1
		}
	}
	return w
}

// add feeds one joined pair to a window's accumulators. A pair that an
// accumulator cannot take (no score, an unknown class, a value that is
// not finite) is left out of that accumulator only.
func (p *pairing) add(a *qualityAcc, w *waiting, label *event.Value) {
	if p.kind == collectors.Regression {
		if a.residuals != nil && w.hasValue {
			_ = a.residuals.Add(label.Num, w.value) // rejects non-finite values
		}
		return
	}
	truth := p.class(label.Text)
	if a.confusion != nil && truth >= 0 && w.class >= 0 {
		_ = a.confusion.Add(truth, int(w.class)) // indices are in range
	}
	if a.scores != nil && w.hasScore && p.kind == collectors.Binary {
		_ = a.scores.Add(truth == p.positive, w.score) // rejects non-finite scores
	}
}

// evaluate computes every configured metric over a closed window.
func (p *pairing) evaluate(a *qualityAcc, pairs int64) (QualityReport, error) {
	r := QualityReport{Pairs: pairs, Skipped: pairs < p.minLabels, Metrics: make([]MetricResult, len(p.metrics))}
	var errs []error
	for i, m := range p.metrics {
		res := &r.Metrics[i]
		res.Metric, res.Threshold = m.Metric, m.Threshold
		if r.Skipped {
			continue
		}
		n, value := int64(0), func() (float64, error) { return 0, nil }
		switch m.Metric.Kind() {
		case quality.LabelKind:
			n, value = a.confusion.Count(), func() (float64, error) { return a.confusion.Value(m.Metric) }
		case quality.ScoreKind:
			n, value = a.scores.Count(), func() (float64, error) { return a.scores.Value(m.Metric) }
		case quality.RegressionKind:
			n, value = a.residuals.Count(), func() (float64, error) { return a.residuals.Value(m.Metric) }
		}
		if n < p.minLabels {
			continue
		}
		v, err := value()
		switch {
		case errors.Is(err, quality.ErrUndefined):
			continue
		case err != nil:
			errs = append(errs, err)
			continue
		}
		res.Value, res.Defined, res.Breached = v, true, m.Metric.Breaches(v, m.Threshold)
	}
	if err := errors.Join(errs...); err != nil {
		return r, fmt.Errorf("quality window: %w", err)
	}
	return r, nil
}
