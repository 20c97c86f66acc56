package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/drift"
	"github.com/driftwatch/driftwatch/internal/atomicfile"
)

// Streams of a seed: each use of randomness draws from its own, so that
// changing one (more training rows, say) leaves the others as they were.
const (
	streamTraining = 1
	streamTraffic  = 2
)

// defaultTrainedAt is when the first champion was trained, unless the
// caller says otherwise: a fixed time, so that its profile is the same on
// every run.
var defaultTrainedAt = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

// InitialOptions configure InitialState. The zero value takes the
// defaults.
type InitialOptions struct {
	// Seed seeds the training examples; zero is a seed like any other.
	Seed uint64
	// TrainingRows is the number of baseline examples to train on
	// (default DefaultTrainingRows).
	TrainingRows int
	// TrainedAt stamps the training examples, and so the profile's build
	// time (default 2026-05-01T00:00:00Z).
	TrainedAt time.Time
}

// Initial is what the demo starts from: the model's configuration, its
// first champion and that champion's reference profile, all on disk.
type Initial struct {
	// Config is ModelConfig(dir). Its reference names ProfilePath.
	Config collectors.ModelConfig
	// Model is the first champion, InitialVersion, trained on baseline
	// examples; ModelPath is its artifact, the champion URI of the first
	// run.
	Model     *Model
	ModelPath string
	// Profile is the reference profile of the training examples as Model
	// scores them, at ProfilePath.
	Profile     *drift.Profile
	ProfilePath string
	// TrainingPath is the examples file the champion was trained on.
	TrainingPath string
}

// InitialState draws baseline examples, trains the first champion on them
// and writes its artifact, its training examples and its reference
// profile under dir/models/v1. It overwrites what an earlier call wrote;
// the same options write the same files.
func InitialState(ctx context.Context, dir string, opts InitialOptions) (*Initial, error) {
	if opts.TrainingRows == 0 {
		opts.TrainingRows = DefaultTrainingRows
	}
	if opts.TrainedAt.IsZero() {
		opts.TrainedAt = defaultTrainedAt
	}
	examples := World{}.DrawN(NewRand(opts.Seed, streamTraining), opts.TrainingRows, Baseline)
	for i := range examples {
		examples[i].ID = fmt.Sprintf("train-%06d", i+1)
		examples[i].Time = opts.TrainedAt
	}
	m, err := Fit(ModelName, examples, FitOptions{})
	if err != nil {
		return nil, fmt.Errorf("initial state: %w", err)
	}
	m.Version = InitialVersion
	cfg := ModelConfig(dir)
	p, err := BuildProfile(ctx, cfg, m, examples)
	if err != nil {
		return nil, fmt.Errorf("initial state: %w", err)
	}
	vdir := versionDir(dir, InitialVersion)
	st := &Initial{
		Config: cfg, Model: m, Profile: p,
		ModelPath:    filepath.Join(vdir, modelFile),
		ProfilePath:  filepath.Join(vdir, profileFile),
		TrainingPath: filepath.Join(vdir, trainingFile),
	}
	if err := st.write(examples); err != nil {
		return nil, fmt.Errorf("initial state: %w", err)
	}
	return st, nil
}

// write puts the artifacts on disk.
func (st *Initial) write(examples []Example) error {
	if err := os.MkdirAll(filepath.Dir(st.ModelPath), 0o755); err != nil {
		return err
	}
	if err := st.Model.WriteFile(st.ModelPath); err != nil {
		return err
	}
	if err := WriteExamples(st.TrainingPath, examples); err != nil {
		return err
	}
	data, err := st.Profile.Encode()
	if err != nil {
		return err
	}
	return atomicfile.Write(st.ProfilePath, data)
}
