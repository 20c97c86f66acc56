package drift

import (
	"errors"
	"fmt"
	"time"
)

// WindowOptions size the accumulators of a Window. A zero field takes its
// default, except Seed, for which zero is a seed like any other.
type WindowOptions struct {
	// SampleSize bounds the sample of finite values kept per numeric
	// column (default 10,000, the reference's default sample size).
	SampleSize int
	// MaxUnseen bounds the distinct unseen values counted one by one per
	// categorical column (default 1,000).
	MaxUnseen int
	// Seed seeds the samples. Each column derives its own stream from it.
	Seed uint64
}

// WithDefaults returns o with every zero field set to its default.
func (o WindowOptions) WithDefaults() WindowOptions {
	setDefault(&o.SampleSize, DefaultSampleSize)
	setDefault(&o.MaxUnseen, DefaultMaxUnseen)
	return o
}

// Validate reports every problem with o at once.
func (o WindowOptions) Validate() error {
	var errs []error
	if o.SampleSize < 1 {
		errs = append(errs, fmt.Errorf("sample size %d must be positive", o.SampleSize))
	}
	if o.MaxUnseen < 1 {
		errs = append(errs, fmt.Errorf("max unseen %d must be positive", o.MaxUnseen))
	}
	return errors.Join(errs...)
}

// Window holds the accumulators of one time window of one model: one per
// feature of its profile, in the profile's order, and one for the
// prediction if the profile has it. Feature positions are the profile's,
// so a collector that resolved names once can index directly.
//
// A Window is not safe for concurrent use; windows of several consumers
// combine with Merge.
type Window struct {
	// Start and End bound the window. The caller sets them; Merge widens
	// them to cover both windows.
	Start, End time.Time

	profile    *Profile
	fp         uint64
	opts       WindowOptions
	features   []column
	byName     map[string]int
	prediction column
	events     int64
}

// column holds the accumulator matching a feature's type; both are nil
// for the prediction of a profile without one.
type column struct {
	numeric     *NumericAccumulator
	categorical *CategoricalAccumulator
}

// NewWindow returns an empty window over the features of p, which must be
// valid and must not change afterwards.
func NewWindow(p *Profile, opts WindowOptions) (*Window, error) {
	opts = opts.WithDefaults()
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("new window: %w", err)
	}
	w := &Window{
		profile:  p,
		fp:       p.fingerprint(),
		opts:     opts,
		features: make([]column, len(p.Features)),
		byName:   make(map[string]int, len(p.Features)),
	}
	var errs []error
	for i := range p.Features {
		c, err := newColumn(&p.Features[i], opts, streamSeed(opts.Seed, i))
		if err != nil {
			errs = append(errs, err)
		}
		w.features[i] = c
		w.byName[p.Features[i].Name] = i
	}
	if p.Prediction != nil {
		c, err := newColumn(p.Prediction, opts, streamSeed(opts.Seed, len(p.Features)))
		if err != nil {
			errs = append(errs, err)
		}
		w.prediction = c
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("new window: %w", err)
	}
	return w, nil
}

func newColumn(f *FeatureProfile, opts WindowOptions, seed uint64) (column, error) {
	var c column
	var err error
	switch f.Type {
	case Numeric:
		c.numeric, err = NewNumericAccumulator(f, opts.SampleSize, seed)
	case Categorical:
		c.categorical, err = NewCategoricalAccumulator(f, opts.MaxUnseen)
	default:
		err = fmt.Errorf("feature %q: %w", f.Name, f.Type.Validate())
	}
	return c, err
}

// Profile returns the reference profile of the window.
func (w *Window) Profile() *Profile { return w.profile }

// Len returns the number of features, not counting the prediction.
func (w *Window) Len() int { return len(w.features) }

// Index returns the position of the named feature, for Numeric and
// Categorical. Resolve names once and keep the positions: the lookup
// hashes the name.
func (w *Window) Index(name string) (int, bool) {
	i, ok := w.byName[name]
	if !ok {
		return -1, false
	}
	return i, true
}

// Numeric returns the accumulator of feature i, or nil if the feature is
// categorical. It panics if i is out of range.
func (w *Window) Numeric(i int) *NumericAccumulator { return w.features[i].numeric }

// Categorical returns the accumulator of feature i, or nil if the feature
// is numeric. It panics if i is out of range.
func (w *Window) Categorical(i int) *CategoricalAccumulator { return w.features[i].categorical }

// PredictionNumeric returns the accumulator of a numeric prediction, or
// nil if the profile has no prediction or a categorical one.
func (w *Window) PredictionNumeric() *NumericAccumulator { return w.prediction.numeric }

// PredictionCategorical returns the accumulator of a categorical
// prediction, or nil if the profile has no prediction or a numeric one.
func (w *Window) PredictionCategorical() *CategoricalAccumulator {
	return w.prediction.categorical
}

// AddEvents records that n more events were applied to the window.
func (w *Window) AddEvents(n int64) { w.events += n }

// Events returns the number of events applied to the window.
func (w *Window) Events() int64 { return w.events }

// Merge adds o's observations to w; o is not modified. Both must come from
// the same profile (separately decoded copies of one profile qualify) and
// the same options.
func (w *Window) Merge(o *Window) error {
	if w.fp != o.fp {
		return fmt.Errorf("merge window: windows come from different profiles (model %q and %q)", w.profile.Model, o.profile.Model)
	}
	if w.opts.SampleSize != o.opts.SampleSize {
		return fmt.Errorf("merge window: sample sizes differ (%d and %d)", w.opts.SampleSize, o.opts.SampleSize)
	}
	var errs []error
	for i := range w.features {
		errs = append(errs, w.features[i].merge(&o.features[i]))
	}
	errs = append(errs, w.prediction.merge(&o.prediction))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("merge window: %w", err)
	}
	w.events += o.events
	if !o.Start.IsZero() && (w.Start.IsZero() || o.Start.Before(w.Start)) {
		w.Start = o.Start
	}
	if o.End.After(w.End) {
		w.End = o.End
	}
	return nil
}

func (c *column) merge(o *column) error {
	switch {
	case c.numeric != nil:
		return c.numeric.Merge(o.numeric)
	case c.categorical != nil:
		return c.categorical.Merge(o.categorical)
	}
	return nil
}

// Reset empties the window for reuse, keeping its memory. It clears the
// event count and the bounds and does not allocate.
func (w *Window) Reset() {
	for i := range w.features {
		w.features[i].reset()
	}
	w.prediction.reset()
	w.events = 0
	w.Start, w.End = time.Time{}, time.Time{}
}

func (c *column) reset() {
	switch {
	case c.numeric != nil:
		c.numeric.Reset()
	case c.categorical != nil:
		c.categorical.Reset()
	}
}
