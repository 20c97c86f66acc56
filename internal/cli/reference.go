package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/collectors/dataset"
	"github.com/driftwatch/driftwatch/drift"
	"github.com/driftwatch/driftwatch/internal/app/reference"
	"github.com/driftwatch/driftwatch/internal/atomicfile"
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

// Run reads the training data, profiles every feature of the model and
// the prediction, writes the profile and prints a one-line summary.
func (c *ReferenceBuildCmd) Run(env *Env) error {
	model, format, createdAt, err := c.settings()
	if err != nil {
		return err
	}
	cols := reference.ColumnsOf(model)
	table, err := readTraining(env, c.Data, format, cols.Categorical())
	if err != nil {
		return c.fail(ExitError, err)
	}
	if err := cols.Resolve(table); err != nil {
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
	if err := atomicfile.Write(c.Out, data); err != nil {
		return c.fail(ExitError, err)
	}
	_, err = fmt.Fprintf(env.Stdout, "%s: model %s, %d rows, %s, %s\n", c.Out, p.Model, p.Rows, cols.DescribeFeatures(), cols.DescribePrediction())
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
	t, err := reference.ReadData(r, path, format, categorical)
	stop()
	if err != nil {
		prog.abort()
		return nil, err
	}
	prog.finish()
	return t, nil
}

// buildProfile profiles the training data, showing how many rows are
// done while it runs.
func buildProfile(env *Env, m collectors.ModelConfig, t *dataset.Table, cols *reference.Columns, createdAt time.Time) (*drift.Profile, error) {
	prog := newProgress(env, "profiling "+filepath.Base(t.Name), t.Name, int64(t.Rows), t.Rows >= largeRows, unitRows)
	p, err := cols.Build(env.Ctx, m, t, createdAt, prog.set)
	if err != nil {
		prog.abort()
		return nil, err
	}
	prog.finish()
	return p, nil
}
