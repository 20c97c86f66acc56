// Package reference gives a model its reference profile: it loads a profile
// written by `driftwatch reference build`, or profiles the model's training
// data on the spot.
//
// `driftwatch reference build` and the running controller share this code,
// so a profile built at start-up from reference.data equals the one the
// command writes from the same file. Showing progress, writing profile files
// and resolving relative paths are left to the callers.
package reference

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/collectors/dataset"
	"github.com/driftwatch/driftwatch/drift"
)

// RowBlock is the number of rows profiled between two progress reports,
// and between two checks of the context.
const RowBlock = 1 << 16

// Load returns the profile that m.Reference names: the profile file, or
// the profile of the training data file built with the model's reference
// settings. Paths are used as given; the caller resolves relative ones.
// createdAt is recorded in a profile built from data.
func Load(ctx context.Context, m collectors.ModelConfig, createdAt time.Time) (*drift.Profile, error) {
	ref := m.Reference
	if ref.Profile != "" {
		return ReadProfile(ref.Profile)
	}
	format := ref.Format
	if format == "" {
		format = collectors.FormatOf(ref.Data)
	}
	cols := ColumnsOf(m)
	f, err := os.Open(ref.Data)
	if err != nil {
		return nil, fmt.Errorf("read training data: %w", err)
	}
	defer f.Close()
	t, err := ReadData(f, ref.Data, format, cols.Categorical())
	if err != nil {
		return nil, err
	}
	if err := cols.Resolve(t); err != nil {
		return nil, err
	}
	return cols.Build(ctx, m, t, createdAt, nil)
}

// ReadProfile reads and validates a profile file.
func ReadProfile(path string) (*drift.Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	p, err := drift.DecodeProfile(data)
	if err != nil {
		return nil, fmt.Errorf("read profile %s: %w", path, err)
	}
	return p, nil
}

// ReadData reads training data in the given format; name identifies r in
// errors. The columns named in categorical are read as categories whatever
// their values. A reader that is also an io.Seeker is rewound rather than
// copied when the reader has to start over.
func ReadData(r io.Reader, name string, format collectors.FileFormat, categorical []string) (*dataset.Table, error) {
	opts := dataset.Options{Categorical: categorical}
	switch format {
	case collectors.FormatJSONL:
		return dataset.ReadJSONL(r, name, opts)
	case collectors.FormatCSV:
		return dataset.ReadCSV(r, name, opts)
	}
	return nil, fmt.Errorf("read %s: unknown format %q (want csv or jsonl)", name, string(format))
}

// Columns lists the columns a model's profile is built from: the features
// in the model's order, then the prediction.
//
// Each feature is read from the column named like the feature, whatever
// its field path in events. The prediction is read from the column named
// by the last segment of the model's source.fields.prediction path
// ("prediction" by default, "class" for "output.class"): numeric for a
// regression model, categorical otherwise. Without that column the profile
// has no prediction.
type Columns struct {
	specs      []drift.FeatureSpec
	prediction drift.FeatureSpec
	// data holds the table's column of each spec; predColumn the
	// prediction's, or nil when the table has none.
	data       []*dataset.Column
	predColumn *dataset.Column
}

// ColumnsOf returns the columns of model m's profile.
func ColumnsOf(m collectors.ModelConfig) *Columns {
	cols := &Columns{specs: make([]drift.FeatureSpec, len(m.Features))}
	for i, f := range m.Features {
		cols.specs[i] = drift.FeatureSpec{Name: f.Name, Type: f.Type}
	}
	path := m.Source.Fields.Prediction
	cols.prediction = drift.FeatureSpec{Name: path[strings.LastIndexByte(path, '.')+1:], Type: drift.Categorical}
	if m.Prediction.Kind == collectors.Regression {
		cols.prediction.Type = drift.Numeric
	}
	return cols
}

// Categorical names the columns to read as categories whatever their
// values, so that "02134" stays "02134".
func (cols *Columns) Categorical() []string {
	var names []string
	for _, s := range append(cols.specs, cols.prediction) {
		if s.Type == drift.Categorical {
			names = append(names, s.Name)
		}
	}
	return names
}

// Resolve finds every feature's column in t, reporting every missing or
// mistyped one at once, and the prediction's column if t has it.
func (cols *Columns) Resolve(t *dataset.Table) error {
	var errs []error
	cols.data = make([]*dataset.Column, len(cols.specs))
	for i, s := range cols.specs {
		col, ok := t.Column(s.Name)
		if !ok {
			errs = append(errs, fmt.Errorf("feature %q has no column in %s", s.Name, t.Name))
			continue
		}
		errs = append(errs, checkNumeric(s, col, t.Name))
		cols.data[i] = col
	}
	if col, ok := t.Column(cols.prediction.Name); ok {
		errs = append(errs, checkNumeric(cols.prediction, col, t.Name))
		cols.predColumn = col
	}
	if t.Rows == 0 {
		errs = append(errs, fmt.Errorf("%s has no data rows", t.Name))
	}
	return errors.Join(errs...)
}

// checkNumeric reports a numeric column that the reader found text in.
func checkNumeric(s drift.FeatureSpec, col *dataset.Column, file string) error {
	if s.Type != drift.Numeric || col.Type == drift.Numeric {
		return nil
	}
	example := ""
	for _, v := range col.Categories {
		if _, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil {
			example = v
			break
		}
	}
	return fmt.Errorf("column %q of %s is numeric in the configuration but holds text such as %q", s.Name, file, example)
}

// DescribeFeatures summarises the features, as "5 features (2 numeric, 3
// categorical)".
func (cols *Columns) DescribeFeatures() string {
	numeric := 0
	for _, s := range cols.specs {
		if s.Type == drift.Numeric {
			numeric++
		}
	}
	return fmt.Sprintf("%d features (%d numeric, %d categorical)", len(cols.specs), numeric, len(cols.specs)-numeric)
}

// DescribePrediction says which prediction column was found, if any.
func (cols *Columns) DescribePrediction() string {
	if cols.predColumn == nil {
		return fmt.Sprintf("no prediction column %q", cols.prediction.Name)
	}
	return fmt.Sprintf("prediction %q (%s)", cols.prediction.Name, cols.prediction.Type)
}

// Build feeds every row of t, whose columns Resolve found, to a profile
// builder configured with the model's reference settings. Columns are
// profiled in parallel, in blocks of RowBlock rows; after each block,
// progress (if not nil) gets the rows done so far, and a cancelled ctx
// stops the build.
func (cols *Columns) Build(ctx context.Context, m collectors.ModelConfig, t *dataset.Table, createdAt time.Time, progress func(rows int64)) (*drift.Profile, error) {
	if cols.data == nil {
		return nil, errors.New("reference: Build before Resolve")
	}
	ref := m.Reference
	b, err := drift.NewProfileBuilder(cols.specs, drift.ProfileOptions{
		Bins: ref.Bins, SampleSize: ref.SampleSize, TopK: ref.TopK, Seed: ref.Seed,
		QuantileSampleSize: max(drift.DefaultQuantileSampleSize, ref.SampleSize),
	})
	if err != nil {
		return nil, err
	}
	data := cols.data
	builders := make([]*drift.ColumnBuilder, len(cols.specs))
	for i := range builders {
		builders[i] = b.Feature(i)
	}
	if cols.predColumn != nil {
		if err := b.SetPrediction(cols.prediction); err != nil {
			return nil, err
		}
		data = append(data[:len(data):len(data)], cols.predColumn)
		builders = append(builders, b.Prediction())
	}
	workers := runtime.GOMAXPROCS(0)
	for lo := 0; lo < t.Rows; lo += RowBlock {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := min(lo+RowBlock, t.Rows)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := w; i < len(data); i += workers {
					feed(builders[i], data[i], lo, hi)
				}
			})
		}
		wg.Wait()
		if progress != nil {
			progress(int64(hi))
		}
	}
	p, err := b.Build(m.Name, createdAt)
	if err != nil {
		return nil, err
	}
	p.ModelVersion = m.Version
	return p, nil
}

// feed adds rows [lo, hi) of col to b.
func feed(b *drift.ColumnBuilder, col *dataset.Column, lo, hi int) {
	if col.Type == drift.Categorical {
		for _, code := range col.Codes[lo:hi] {
			if code == dataset.MissingCode {
				b.AddMissing()
			} else {
				b.AddCategory(col.Categories[code])
			}
		}
		return
	}
	for i, x := range col.Numbers[lo:hi] {
		if x != x && col.Missing(lo+i) { // A missing cell holds NaN; a NaN value is not missing.
			b.AddMissing()
		} else {
			b.AddNumeric(x)
		}
	}
}
