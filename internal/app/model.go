package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/collectors/kafkasource"
	"github.com/driftwatch/driftwatch/collectors/monitor"
	"github.com/driftwatch/driftwatch/collectors/source"
	"github.com/driftwatch/driftwatch/drift"
	"github.com/driftwatch/driftwatch/internal/app/reference"
)

// phase is how far a model has come since Start.
type phase int32

const (
	phaseLoading  phase = iota // loading or building the reference profile
	phaseStarted               // the source runs, or is starting
	phaseFinished              // a file source replayed everything
	phaseFailed
	phaseStopped
)

// runner is a model's running source.
type runner interface {
	Run(ctx context.Context) error
	Ready() error
	Switch(ctx context.Context, version string, p *drift.Profile) error
}

// model is one configured model and what runs for it.
type model struct {
	cfg  collectors.ModelConfig // with resolved paths
	log  *slog.Logger
	file bool
	// embedded models take events pushed through their Feed.
	embedded bool
	feed     atomic.Pointer[source.Feed]

	// Kafka models only.
	consumer   *kafkasource.Consumer
	deadLetter *kafkasource.DeadLetter
	checkpoint monitor.Checkpointer

	phase atomic.Int32
	src   atomic.Pointer[runner]

	mu  sync.Mutex
	mon *monitor.Monitor
	err error
}

// newModel checks a model's files and builds what can be built before
// Start: its Kafka consumer and dead letter writer, and its checkpointer.
func (a *App) newModel(cfg collectors.ModelConfig) (*model, error) {
	cfg = resolvePaths(cfg, a.opts.ConfigDir)
	m := &model{
		cfg:  cfg,
		log:  a.log.With("model", cfg.Name),
		file: cfg.Source.Type == collectors.SourceFile,

		embedded: cfg.Source.Type == collectors.SourceEmbedded,
	}
	errs := []error{
		checkFile("reference.profile", cfg.Reference.Profile),
		checkFile("reference.data", cfg.Reference.Data),
	}
	if m.file {
		errs = append(errs, checkFile("source.file.path", cfg.Source.File.Path), checkFile("source.file.labels_path", cfg.Source.File.LabelsPath))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if m.file || m.embedded {
		m.checkpoint = monitor.NewMemoryCheckpointer()
		return m, nil
	}
	kopts := a.opts.Kafka
	kopts.Logger, kopts.Now, kopts.Secrets = m.log, a.opts.Now, a.opts.Secrets
	var err error
	if m.consumer, err = kafkasource.New(cfg.Source.Kafka, kopts); err != nil {
		return nil, err
	}
	if cfg.Source.Kafka.DeadLetterTopic != "" {
		if m.deadLetter, err = kafkasource.NewDeadLetter(cfg.Source.Kafka, kopts); err != nil {
			return nil, err
		}
	}
	if m.checkpoint, err = monitor.NewFileCheckpointer(a.opts.Config.Storage.Checkpoints()); err != nil {
		return nil, err
	}
	return m, nil
}

// runModel loads the model's reference, builds its monitor and source,
// and reads until ctx ends or a replay is over. It returns an error only
// when the model failed, not when it was stopped.
func (a *App) runModel(ctx context.Context, m *model) error {
	err := a.startModel(ctx, m)
	if err == nil {
		err = (*m.src.Load()).Run(ctx)
	}
	switch {
	case err != nil && ctx.Err() == nil:
		m.setPhase(phaseFailed)
		m.mu.Lock()
		m.err = err
		m.mu.Unlock()
		return fmt.Errorf("model %s: %w", m.cfg.Name, err)
	case m.file && ctx.Err() == nil:
		m.setPhase(phaseFinished)
	default:
		m.setPhase(phaseStopped)
	}
	return nil
}

// startModel brings a model up to the point where its source can run.
func (a *App) startModel(ctx context.Context, m *model) error {
	cfg, p, err := a.reference(ctx, m)
	if err != nil {
		return err
	}
	mopts := monitor.Options{
		Config: cfg, Profile: p, Store: a.store, Checkpointer: m.checkpoint,
		Logger: a.log, Now: a.opts.Now, DisableIdleClose: m.file, Seed: m.cfg.Reference.Seed,
	}
	if m.consumer != nil {
		mopts.Lag = source.Lag(m.consumer)
	}
	mon, err := monitor.New(ctx, mopts)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.mon = mon
	m.mu.Unlock()
	var src runner
	if m.embedded {
		var feed *source.Feed
		feed, err = source.NewFeed(source.FeedOptions{
			Model: m.cfg, Monitor: mon, Logger: a.log, Metrics: a.sourceMetrics,
			Now: a.opts.Now, SyncInterval: a.opts.SyncInterval,
		})
		if err == nil {
			m.feed.Store(feed)
			src = feed
		}
	} else if m.file {
		src, err = source.NewFile(source.FileOptions{
			Model: m.cfg, Monitor: mon, Logger: a.log, Metrics: a.sourceMetrics,
			Now: a.opts.Now, SyncInterval: a.opts.SyncInterval,
		})
	} else {
		kopts := source.KafkaOptions{
			Model: m.cfg, Monitor: mon, Consumer: m.consumer, Logger: a.log, Metrics: a.sourceMetrics,
			Now: a.opts.Now, SyncInterval: a.opts.SyncInterval,
		}
		if m.deadLetter != nil {
			kopts.DeadLetter = m.deadLetter
		}
		kopts.Lag = m.consumer.Lag
		src, err = source.NewKafka(kopts)
	}
	if err != nil {
		return err
	}
	m.src.Store(&src)
	m.setPhase(phaseStarted)
	return nil
}

// reference returns the model's configuration and reference profile: those
// of its champion in the model registry, when a pipeline has deployed one,
// since the configured reference is the training data of the version
// deployed before driftwatch took over; otherwise the configured ones.
func (a *App) reference(ctx context.Context, m *model) (collectors.ModelConfig, *drift.Profile, error) {
	cfg := m.cfg
	if a.champions != nil {
		cfg, p, ok, err := a.champions.reference(cfg, m.log)
		if ok || err != nil {
			return cfg, p, err
		}
	}
	if a.runner != nil {
		v, ok, err := a.runner.Registry().Champion(cfg.Name)
		if err != nil {
			return cfg, nil, fmt.Errorf("model registry: %w", err)
		}
		if ok && v.ProfileURI != "" {
			path, err := profilePath(v.ProfileURI)
			if err != nil {
				return cfg, nil, fmt.Errorf("champion %s: %w", v.Version, err)
			}
			m.log.Info("loading the champion's reference profile", "version", v.Version, "profile", path)
			p, err := reference.ReadProfile(path)
			if err != nil {
				return cfg, nil, fmt.Errorf("champion %s: %w", v.Version, err)
			}
			cfg.Version = v.Version
			return cfg, p, nil
		}
	}
	m.log.Info("loading reference profile", "profile", cfg.Reference.Profile, "data", cfg.Reference.Data)
	p, err := reference.Load(ctx, cfg, a.opts.Now())
	if err != nil {
		return cfg, nil, fmt.Errorf("reference: %w", err)
	}
	return cfg, p, nil
}

func (m *model) setPhase(p phase) { m.phase.Store(int32(p)) }

// ready returns nil when the model is monitored: its reference is loaded
// and its source has started (or, for a replay, finished).
func (m *model) ready() error {
	switch phase(m.phase.Load()) {
	case phaseLoading:
		return errors.New("loading its reference profile")
	case phaseStarted:
		return (*m.src.Load()).Ready()
	case phaseFailed:
		m.mu.Lock()
		defer m.mu.Unlock()
		return fmt.Errorf("failed: %w", m.err)
	case phaseStopped:
		return errors.New("stopped")
	}
	return nil
}

// closeMonitor removes the model's metrics, once its source has stopped.
func (m *model) closeMonitor() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mon == nil {
		return nil
	}
	err := m.mon.Close()
	m.mon = nil
	return err
}
