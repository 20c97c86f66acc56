package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/collectors/dataset"
	"github.com/driftwatch/driftwatch/drift"
	"github.com/driftwatch/driftwatch/internal/config"
)

// ReferenceCmd groups the commands that work on reference profiles.
type ReferenceCmd struct {
	Build ReferenceBuildCmd `cmd:"" help:"Build a model's reference profile from its training data."`
}

// ReferenceBuildCmd builds a model's reference profile from a training
// data file.
//
// Each feature is read from the column named like the feature, whatever
// its field path in events. The prediction is read from the column named
// by the last segment of the model's source.fields.prediction path
// ("prediction" by default, "class" for "output.class"): numeric for a
// regression model, categorical otherwise. Without that column the profile
// has no prediction. Categorical features and predictions are read as
// categories even when their values look like numbers, so "02134" stays
// "02134".
type ReferenceBuildCmd struct {
	Config    string `short:"c" required:"" type:"path" placeholder:"FILE" help:"Configuration file that declares the model."`
	Model     string `required:"" placeholder:"NAME" help:"Model to profile."`
	Data      string `required:"" placeholder:"FILE" help:"Training data: CSV with a header row, or JSON Lines. Each feature is read from the column of its name."`
	Out       string `required:"" placeholder:"FILE" help:"Profile to write. An existing file is replaced atomically."`
	Format    string `placeholder:"FORMAT" help:"Format of --data: csv or jsonl. Default: from its extension (.csv, .jsonl or .ndjson)."`
	CreatedAt string `placeholder:"TIME" help:"Build time recorded in the profile, in RFC 3339. Default: now. Fix it to make builds reproducible."`
}

// rowBlock is the number of rows profiled between progress updates.
const rowBlock = 1 << 16

// Run reads the training data, profiles every feature of the model and
// the prediction, writes the profile and prints a one-line summary.
func (c *ReferenceBuildCmd) Run(env *Env) error {
	model, format, createdAt, err := c.settings()
	if err != nil {
		return err
	}
	cols := trainingColumns(model)
	table, err := readTraining(env, c.Data, format, cols.categorical())
	if err != nil {
		return c.fail(ExitError, err)
	}
	if err := cols.resolve(table); err != nil {
		return c.fail(ExitError, err)
	}
	p, err := buildProfile(env, model, table, cols, createdAt)
	if err != nil {
		return c.fail(ExitError, err)
	}
	data, err := p.Encode()
	if err != nil {
		return c.fail(ExitError, err)
	}
	if err := writeFileAtomic(c.Out, data); err != nil {
		return c.fail(ExitError, err)
	}
	_, err = fmt.Fprintf(env.Stdout, "%s: model %s, %d rows, %s, %s\n", c.Out, p.Model, p.Rows, cols.describeFeatures(), cols.describePrediction())
	return err
}

func (c *ReferenceBuildCmd) fail(code int, err error) error {
	return &exitError{code: code, msg: "driftwatch: reference build: " + err.Error()}
}

// settings loads the model and checks the flags.
func (c *ReferenceBuildCmd) settings() (collectors.ModelConfig, collectors.FileFormat, time.Time, error) {
	var none collectors.ModelConfig
	cfg, err := config.Load(c.Config)
	if err != nil {
		var cerr *config.Error
		if errors.As(err, &cerr) {
			return none, "", time.Time{}, &exitError{code: ExitError, msg: fmt.Sprintf("%s\n%s: %d problem(s)", cerr, c.Config, len(cerr.Problems))}
		}
		return none, "", time.Time{}, c.fail(ExitError, err)
	}
	model, ok := cfg.Model(c.Model)
	if !ok {
		names := make([]string, len(cfg.Models))
		for i, m := range cfg.Models {
			names[i] = m.Name
		}
		return none, "", time.Time{}, c.fail(ExitUsage, fmt.Errorf("--model: unknown model %q (defined models: %s)", c.Model, strings.Join(names, ", ")))
	}
	var errs []error
	format := collectors.FileFormat(c.Format)
	switch {
	case format == "" && collectors.FormatOf(c.Data) == "":
		errs = append(errs, fmt.Errorf("--format: cannot tell the format of %s from its extension: set csv or jsonl", c.Data))
	case format == "":
		format = collectors.FormatOf(c.Data)
	case format != collectors.FormatCSV && format != collectors.FormatJSONL:
		errs = append(errs, fmt.Errorf("--format: unknown format %q (want csv or jsonl)", c.Format))
	}
	createdAt := time.Now().UTC()
	if c.CreatedAt != "" {
		if createdAt, err = time.Parse(time.RFC3339, c.CreatedAt); err != nil {
			errs = append(errs, fmt.Errorf("--created-at: %q is not an RFC 3339 time such as 2026-01-02T15:04:05Z", c.CreatedAt))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return none, "", time.Time{}, c.fail(ExitUsage, err)
	}
	return model, format, createdAt, nil
}

// columnPlan lists the columns a model's profile is built from: the
// features in the model's order, then the prediction.
type columnPlan struct {
	specs      []drift.FeatureSpec
	prediction drift.FeatureSpec
	// data holds the table's column of each spec, and last the
	// prediction's, or nil when the table has no prediction column.
	data       []*dataset.Column
	predColumn *dataset.Column
}

func trainingColumns(m collectors.ModelConfig) *columnPlan {
	cols := &columnPlan{specs: make([]drift.FeatureSpec, len(m.Features))}
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

// categorical names the columns to read as categories whatever their
// values.
func (cols *columnPlan) categorical() []string {
	var names []string
	for _, s := range append(cols.specs, cols.prediction) {
		if s.Type == drift.Categorical {
			names = append(names, s.Name)
		}
	}
	return names
}

// resolve finds every feature's column in t, reporting every missing or
// mistyped one at once, and the prediction's column if t has it.
func (cols *columnPlan) resolve(t *dataset.Table) error {
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

func (cols *columnPlan) describeFeatures() string {
	numeric := 0
	for _, s := range cols.specs {
		if s.Type == drift.Numeric {
			numeric++
		}
	}
	return fmt.Sprintf("%d features (%d numeric, %d categorical)", len(cols.specs), numeric, len(cols.specs)-numeric)
}

func (cols *columnPlan) describePrediction() string {
	if cols.predColumn == nil {
		return fmt.Sprintf("no prediction column %q", cols.prediction.Name)
	}
	return fmt.Sprintf("prediction %q (%s)", cols.prediction.Name, cols.prediction.Type)
}

// readTraining reads the training data, showing how many bytes have been
// read while it runs.
func readTraining(env *Env, path string, format collectors.FileFormat, categorical []string) (*dataset.Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read training data: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read training data: %w", err)
	}
	r := &countingFile{f: f}
	prog := newProgress(env, "reading "+filepath.Base(path), path, st.Size(), st.Size() >= largeData, unitBytes)
	stop := prog.watch(r.n.Load)
	opts := dataset.Options{Categorical: categorical}
	var t *dataset.Table
	if format == collectors.FormatJSONL {
		t, err = dataset.ReadJSONL(r, path, opts)
	} else {
		t, err = dataset.ReadCSV(r, path, opts)
	}
	stop()
	if err != nil {
		prog.abort()
		return nil, err
	}
	prog.finish()
	return t, nil
}

// buildProfile feeds every row of t to a profile builder configured with
// the model's reference settings. Columns are profiled in parallel, in
// blocks of rows so that progress can be shown and a cancelled context
// stops the build.
func buildProfile(env *Env, m collectors.ModelConfig, t *dataset.Table, cols *columnPlan, createdAt time.Time) (*drift.Profile, error) {
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
	prog := newProgress(env, "profiling "+filepath.Base(t.Name), t.Name, int64(t.Rows), t.Rows >= largeRows, unitRows)
	workers := runtime.GOMAXPROCS(0)
	for lo := 0; lo < t.Rows; lo += rowBlock {
		if err := env.Ctx.Err(); err != nil {
			prog.abort()
			return nil, err
		}
		hi := min(lo+rowBlock, t.Rows)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := w; i < len(data); i += workers {
					feed(builders[i], data[i], lo, hi)
				}
			})
		}
		wg.Wait()
		prog.set(int64(hi))
	}
	prog.finish()
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

// writeFileAtomic writes data to a temporary file beside path and renames
// it over path, so readers see the old file or the new one, never a part.
func writeFileAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write profile: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("write profile: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("write profile: %w", err)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("write profile: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write profile: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write profile: %w", err)
	}
	return nil
}

// Progress is shown for inputs of at least largeData bytes or largeRows
// rows; smaller ones finish too fast for a bar to help.
const (
	largeData = 16 << 20
	largeRows = 1 << 20
	// progressLogEvery bounds how often progress is logged when stderr is
	// not a terminal.
	progressLogEvery = 5 * time.Second
)

type progressUnit string

const (
	unitBytes progressUnit = "bytes"
	unitRows  progressUnit = "rows"
)

// progress shows how far one phase of a command has come: a bar on stderr
// when stderr is a terminal and the input is large, otherwise a log line
// at most every progressLogEvery. Stdout is never written.
type progress struct {
	bar         *progressbar.ProgressBar
	logger      *slog.Logger
	msg, file   string
	unit        progressUnit
	total       int64
	start, last time.Time
}

func newProgress(env *Env, msg, file string, total int64, large bool, unit progressUnit) *progress {
	now := time.Now()
	p := &progress{logger: env.Logger, msg: msg, file: file, unit: unit, total: total, start: now, last: now}
	if !large || !isTerminal(env.Stderr) {
		return p
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(env.Stderr),
		progressbar.OptionSetDescription(msg),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionShowCount(),
		progressbar.OptionClearOnFinish(),
	}
	if unit == unitBytes {
		opts = append(opts, progressbar.OptionShowBytes(true))
	} else {
		opts = append(opts, progressbar.OptionShowIts(), progressbar.OptionSetItsString(string(unit)))
	}
	p.bar = progressbar.NewOptions64(total, opts...)
	return p
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// set records that n units are done.
func (p *progress) set(n int64) {
	if p.bar != nil {
		_ = p.bar.Set64(n) // Errors only for a misconfigured spinner.
		return
	}
	now := time.Now()
	if now.Sub(p.last) < progressLogEvery {
		return
	}
	p.last = now
	rate := float64(n) / now.Sub(p.start).Seconds()
	u := string(p.unit)
	p.logger.Info(p.msg, "file", p.file, u, n, "total_"+u, p.total, u+"_per_second", int64(rate))
}

// watch calls set with n() until the returned stop function is called;
// stop returns once watching has ended.
func (p *progress) watch(n func() int64) (stop func()) {
	every := time.Second
	if p.bar != nil {
		every = 100 * time.Millisecond
	}
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.set(n())
			case <-done:
				return
			}
		}
	}()
	return func() {
		close(done)
		<-exited
	}
}

// finish completes the phase and clears the bar.
func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// abort clears the bar so that an error message starts on a clean line.
func (p *progress) abort() {
	if p.bar != nil {
		_ = p.bar.Clear()
		_ = p.bar.Exit()
	}
}

// countingFile counts the bytes read from a file. It passes Seek through,
// so the dataset reader rewinds it instead of keeping a copy of the input.
type countingFile struct {
	f *os.File
	n atomic.Int64
}

func (c *countingFile) Read(p []byte) (int, error) {
	n, err := c.f.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingFile) Seek(offset int64, whence int) (int64, error) {
	pos, err := c.f.Seek(offset, whence)
	if err == nil {
		c.n.Store(pos)
	}
	return pos, err
}
