package demo

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/drift"
	"github.com/driftwatch/driftwatch/internal/app/reference"
)

// BuildProfile returns the reference profile of the examples as model m
// serves them: every feature, and the class m predicts for each example,
// profiled with the reference settings of cfg. It goes through the code of
// `driftwatch reference build`, so the profile equals what that command
// writes from the examples with a prediction column added. The profile
// carries m's version and, as its build time, the latest example's time,
// so the same examples and model always give the same profile.
func BuildProfile(ctx context.Context, cfg collectors.ModelConfig, m *Model, examples []Example) (*drift.Profile, error) {
	if len(examples) == 0 {
		return nil, fmt.Errorf("build profile of %s: no examples", m.Version)
	}
	cols := reference.ColumnsOf(cfg)
	name := fmt.Sprintf("training data of %s", m.Version)
	t, err := reference.ReadData(bytes.NewReader(scoredLines(cfg, m, examples)), name, collectors.FormatJSONL, cols.Categorical())
	if err != nil {
		return nil, fmt.Errorf("build profile of %s: %w", m.Version, err)
	}
	if err := cols.Resolve(t); err != nil {
		return nil, fmt.Errorf("build profile of %s: %w", m.Version, err)
	}
	p, err := cols.Build(ctx, cfg, t, latest(examples), nil)
	if err != nil {
		return nil, fmt.Errorf("build profile of %s: %w", m.Version, err)
	}
	p.ModelVersion = m.Version
	return p, nil
}

// scoredLines returns the examples as JSON lines of their features and
// the class m predicts, in the column the profile reads the prediction
// from: the last segment of the model's prediction field.
func scoredLines(cfg collectors.ModelConfig, m *Model, examples []Example) []byte {
	path := cfg.Source.Fields.Prediction
	column := path[strings.LastIndexByte(path, '.')+1:]
	var b []byte
	for _, e := range examples {
		b = e.Row.appendFields(append(b, '{'))
		b = append(b, ',')
		b = appendString(b, column)
		b = append(b, ':')
		b = appendString(b, m.Class(m.Predict(e.Row)))
		b = append(b, "}\n"...)
	}
	return b
}

// latest returns the latest time among the examples.
func latest(examples []Example) time.Time {
	var t time.Time
	for _, e := range examples {
		if e.Time.After(t) {
			t = e.Time
		}
	}
	return t
}
