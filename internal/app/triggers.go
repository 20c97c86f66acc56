package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/driftwatch/driftwatch/store"
	"github.com/driftwatch/driftwatch/triggers"
	"github.com/driftwatch/driftwatch/triggers/embedded"
	"github.com/driftwatch/driftwatch/triggers/rules"
	"github.com/driftwatch/driftwatch/triggers/silence"
	"github.com/driftwatch/driftwatch/triggers/webhook"
)

// StoreFile is the name of the durable state file in storage.dir: trigger
// decisions, runs and the model registry.
const StoreFile = "driftwatch.db"

// silencedAlerts are the alerts silenced for a model while one of its runs
// is in flight: the ones a retrain answers.
var silencedAlerts = []string{rules.FeatureDrift, rules.DatasetDrift, rules.QualityBelowThreshold}

// newTriggers opens the durable store and builds the trigger engine, the
// Alertmanager client for silences when alertmanager.url is set, and
// otherwise the embedded evaluator, and mounts the webhook and the runs API
// on the server.
func (a *App) newTriggers() error {
	cfg := a.opts.Config
	dir := cfg.Storage.Dir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("storage.dir: %w", err)
	}
	db, err := store.Open(filepath.Join(dir, StoreFile), store.Options{})
	if err != nil {
		return fmt.Errorf("storage.dir: %w", err)
	}
	a.db = db
	pipelines := map[string]string{}
	deadlines := map[string]time.Duration{}
	for _, p := range cfg.Pipelines {
		pipelines[p.Name], deadlines[p.Name] = p.Model, p.Deadline
	}
	var silencer triggers.Silencer
	if am := cfg.Alertmanager; am.URL != "" {
		var token string
		if !am.BearerToken.IsZero() {
			if token, err = a.opts.Secrets.Resolve(am.BearerToken); err != nil {
				return errors.Join(fmt.Errorf("alertmanager.bearer_token: %w", err), db.Close())
			}
		}
		c, err := silence.New(silence.Options{
			URL: am.URL, BearerToken: token, Timeout: am.Timeout,
			Logger: a.log.With("component", "silences"), Registerer: a.opts.Registry, Now: a.opts.Now,
		})
		if err != nil {
			return errors.Join(fmt.Errorf("alertmanager: %w", err), db.Close())
		}
		silencer = c
	}
	a.engine, err = triggers.NewEngine(triggers.EngineOptions{
		Config: cfg.Triggers, Pipelines: pipelines, Store: db,
		Logger: a.log.With("component", "triggers"), Registerer: a.opts.Registry, Now: a.opts.Now,
		Silencer: silencer, SilenceAlerts: silencedAlerts,
		RunDeadline:   func(p string) time.Duration { return deadlines[p] },
		ResumeRunning: len(cfg.Pipelines) > 0,
	})
	if err != nil {
		return errors.Join(fmt.Errorf("triggers: %w", err), db.Close())
	}
	if cfg.Alertmanager.URL == "" {
		f, err := rules.Generate(rules.Input{Settings: cfg.Prometheus.Rules, Models: cfg.Models, Triggers: cfg.Triggers.Rules})
		if err != nil {
			return errors.Join(fmt.Errorf("embedded alert rules: %w", err), db.Close())
		}
		a.evaluator, err = embedded.New(embedded.Options{
			Rules: f, Gatherer: a.opts.Registry, Notifier: a.engine, Registerer: a.opts.Registry,
			Logger: a.log.With("component", "embedded-alerts"), Interval: a.opts.EmbeddedInterval, Now: a.opts.Now,
		})
		if err != nil {
			return errors.Join(fmt.Errorf("embedded alerts: %w", err), db.Close())
		}
	}
	maxBody := cfg.Server.MaxBodyBytes
	hook, err := webhook.NewAlertmanager(webhook.AlertmanagerOptions{
		Notifier: a.engine, Logger: a.log.With("component", "webhook"), Registerer: a.opts.Registry, MaxBodyBytes: maxBody,
	})
	if err != nil {
		return errors.Join(fmt.Errorf("webhook: %w", err), db.Close())
	}
	runs, err := webhook.NewRuns(webhook.RunsOptions{
		Requester: a.engine, Logger: a.log.With("component", "api"), Registerer: a.opts.Registry, MaxBodyBytes: maxBody,
	})
	if err != nil {
		return errors.Join(fmt.Errorf("runs API: %w", err), db.Close())
	}
	a.routes.Handle(webhook.AlertmanagerPath, hook)
	a.routes.Handle(webhook.RunsPath, runs)
	return nil
}

// startTriggers runs the schedules and the embedded evaluator until Stop.
func (a *App) startTriggers() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.engine.RunSchedules(ctx); err != nil {
			a.log.Error("trigger schedules stopped", "err", err)
		}
	}()
	evalDone := make(chan struct{})
	go func() {
		defer close(evalDone)
		if a.evaluator == nil {
			return
		}
		if err := a.evaluator.Run(ctx); err != nil {
			a.log.Error("embedded alert evaluator stopped", "err", err)
		}
	}()
	a.cleanups.push("triggers", func(stopCtx context.Context) error {
		cancel()
		for _, ch := range []chan struct{}{done, evalDone} {
			select {
			case <-ch:
			case <-stopCtx.Done():
				return fmt.Errorf("triggers still running: %w", stopCtx.Err())
			}
		}
		return nil
	})
}

// Engine returns the trigger engine: the queue that pipeline runs are taken
// from. With leader election it is nil on a standby, and each term has its
// own.
func (a *App) Engine() *triggers.Engine {
	if c := a.control(); c != nil {
		return c.engine
	}
	return nil
}
