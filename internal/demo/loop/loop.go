// Package loop runs `driftwatch demo`: the whole closed loop in one
// process, on one machine, with nothing else to install.
//
// It serves the synthetic credit-risk model of package demo and sends its
// traffic, predictions and delayed labels, into a real driftwatch (package
// app) through an embedded source. After a while the world shifts. The
// monitor measures drift against the champion's training data and quality
// against the labels; the embedded alert evaluator fires the generated
// retrain alerts; the trigger engine requests a run; the pipeline runner
// trains a challenger on recent labelled data and evaluates it against the
// champion on the same holdout, as child processes of this binary (the
// `driftwatch demo step` commands); the gate passes it; the deploy command
// hands it to the model server, which swaps it in; the monitor moves to the
// new version and its reference profile, and verification watches it.
// Drift resolves and quality recovers.
//
// Run prints a timeline of what happens and why, and reports whether the
// loop closed. What each part does is left to its package; this one only
// wires them and watches.
package loop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/collectors/event"
	"github.com/driftwatch/driftwatch/collectors/monitor"
	"github.com/driftwatch/driftwatch/internal/app"
	"github.com/driftwatch/driftwatch/internal/atomicfile"
	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/internal/demo"
	"github.com/driftwatch/driftwatch/pipelines"
	"github.com/driftwatch/driftwatch/triggers"
)

// Options are the settings of a demo run. Executable and Out are required.
type Options struct {
	// Dir holds everything the demo writes: artifacts, logs and state.
	// It is created if missing; empty means a new temporary directory,
	// removed at the end.
	Dir string
	// Listen is the address of /metrics and the API (default
	// 127.0.0.1:0, a free port).
	Listen string
	// Speed divides every duration of the scenario; at 1 the loop closes
	// in about half a minute. Steps take the time they take.
	Speed float64
	// Seed makes the world and the models; the same seed replays the same
	// story.
	Seed uint64
	// Timeout bounds the demo at speed 1 (default DefaultTimeout); it is
	// divided by Speed too.
	Timeout time.Duration
	// Executable is the driftwatch binary whose `demo step` commands run
	// the pipeline steps.
	Executable string
	// Out receives the timeline.
	Out io.Writer
	// Logger receives driftwatch's own logs; nil writes them at info
	// level to Dir/driftwatch.log.
	Logger *slog.Logger
}

// The scenario at speed 1.
const (
	// DefaultTimeout bounds the demo at speed 1.
	DefaultTimeout = 2 * time.Minute
	// tick is how often the model serves demo.DefaultRate applications.
	tick = 100 * time.Millisecond
	// shiftAfter is when the world shifts.
	shiftAfter = 15 * time.Second
	// labelDelay is how long labels take to arrive.
	labelDelay = time.Second
	// alertFor is how long a retrain condition must hold before its alert
	// fires, as the generated rules' for.
	alertFor = 2 * time.Second
	// evaluateEvery is the embedded evaluator's interval.
	evaluateEvery = 500 * time.Millisecond
	// verifyFor is the verification period after a deploy.
	verifyFor = 8 * time.Second
)

// Names in the demo's configuration.
const (
	pipelineName = "credit-risk-retrain"
	ruleName     = "credit-risk-decay"
)

// Run plays the scenario and returns nil only if the loop closed: a
// retrained model was deployed and verified, and after it the model's
// drift resolved and its quality recovered.
func Run(ctx context.Context, opts Options) error {
	if opts.Executable == "" || opts.Out == nil {
		return errors.New("demo: Options.Executable and Out are required")
	}
	if opts.Speed <= 0 {
		opts.Speed = 1
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	if opts.Dir == "" {
		dir, err := os.MkdirTemp("", "driftwatch-demo-")
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		defer os.RemoveAll(dir)
		opts.Dir = dir
	}
	d := &run{opts: opts, start: time.Now()}
	return d.play(ctx)
}

// run is one play of the scenario.
type run struct {
	opts  Options
	start time.Time
	mu    sync.Mutex // guards the timeline
	tl    io.Writer
}

// scaled divides a scenario duration by the speed.
func (d *run) scaled(x time.Duration) time.Duration {
	return time.Duration(float64(x) / d.opts.Speed)
}

// say prints one line of the timeline, stamped with the demo's time.
func (d *run) say(format string, args ...any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	el := time.Since(d.start).Seconds()
	fmt.Fprintf(d.tl, "%6.1fs  %s\n", el, fmt.Sprintf(format, args...))
}

func (d *run) play(ctx context.Context) error {
	d.tl = d.opts.Out
	dir := d.opts.Dir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	logger := d.opts.Logger
	if logger == nil {
		f, err := os.Create(filepath.Join(dir, "driftwatch.log"))
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		defer f.Close()
		logger = slog.New(slog.NewTextHandler(f, nil))
	}

	d.say("training the first champion on baseline data")
	st, err := demo.InitialState(ctx, dir, demo.InitialOptions{Seed: d.opts.Seed})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	serving := filepath.Join(dir, "serving", "model.json")
	if err := os.MkdirAll(filepath.Dir(serving), 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := atomicfile.Copy(st.ModelPath, serving); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	srv, err := demo.NewServer(st.Model)
	if err != nil {
		return err
	}
	cfg, err := d.config(st, serving)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	a, err := app.New(app.Options{
		Config: cfg, Logger: logger, Registry: reg,
		SyncInterval:     d.scaled(200 * time.Millisecond),
		EmbeddedInterval: d.scaled(evaluateEvery),
		VerifyInterval:   d.scaled(500 * time.Millisecond),
	})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := a.Runner().Registry().Seed(pipelines.Seed{
		Model: demo.ModelName, Version: demo.InitialVersion, ModelURI: "file://" + st.ModelPath, ProfileURI: st.ProfilePath,
		By: "driftwatch demo", Reason: "the model in service when the demo starts",
	}); err != nil {
		return errors.Join(fmt.Errorf("demo: seed the registry: %w", err), a.Stop(context.Background()))
	}
	if err := a.Start(ctx); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := a.Stop(stopCtx); err != nil {
			logger.Error("stopping driftwatch", "err", err)
		}
	}()
	d.say("driftwatch is serving /metrics and the API on http://%s (logs: %s)", a.Addr(), filepath.Join(dir, "driftwatch.log"))

	ctx, cancel := context.WithTimeout(ctx, d.scaled(d.opts.Timeout))
	defer cancel()
	var feed interface {
		Push(event.Kind, []byte) (monitor.Outcome, error)
	}
	for feed == nil {
		if f := a.Feed(demo.ModelName); f != nil && a.Ready() == nil {
			feed = f
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("demo: the monitor did not start: %w", a.Ready())
		case <-time.After(10 * time.Millisecond):
		}
	}

	rec, err := demo.NewRecorder(demo.DefaultRecentRows, demo.DefaultHoldoutEvery)
	if err != nil {
		return err
	}
	shiftAt := time.Now().Add(d.scaled(shiftAfter))
	traffic, err := demo.NewTraffic(demo.TrafficOptions{
		World: demo.World{Shift: demo.DefaultShift()}, Server: srv, Recorder: rec, Seed: d.opts.Seed,
		LabelDelay: d.scaled(labelDelay), ShiftAt: shiftAt,
		Sink: demo.SinkFunc(func(k event.Kind, line []byte) error {
			_, err := feed.Push(k, line)
			if err != nil {
				logger.Warn("demo event rejected", "kind", k, "err", err)
			}
			return nil
		}),
	})
	if err != nil {
		return err
	}
	d.say("serving %s %s: %d loan applications every %s, labels %s later; the world shifts at %.1fs",
		demo.ModelName, demo.InitialVersion, demo.DefaultRate, d.scaled(tick), d.scaled(labelDelay), time.Until(shiftAt).Seconds()+time.Since(d.start).Seconds())

	w := newWatcher(d, a, shiftAt)
	return d.drive(ctx, w, traffic, rec, srv, serving)
}

// drive ticks the traffic, keeps the recent-data files and the served
// model current, and watches until the loop closes or time runs out.
func (d *run) drive(ctx context.Context, w *watcher, traffic *demo.Traffic, rec *demo.Recorder, srv *demo.Server, serving string) error {
	t := time.NewTicker(d.scaled(tick))
	defer t.Stop()
	shifted := false
	servingMod := modTime(serving)
	data, holdout := d.recentPaths()
	for {
		select {
		case <-ctx.Done():
			d.say("time is up: %s", w.missing())
			return fmt.Errorf("demo: the loop did not close in %s: %s", d.scaled(d.opts.Timeout).Round(time.Second), w.missing())
		case now := <-t.C:
			if !shifted && traffic.Phase(now) == demo.Shifted {
				shifted = true
				d.say("the world shifts: %s change, and so does who defaults", strings.Join(demo.DefaultShift().Features(), ", "))
			}
			if err := traffic.Tick(now); err != nil {
				return fmt.Errorf("demo: %w", err)
			}
			if rec.Len() > 0 {
				if _, _, err := rec.WriteFiles(data, holdout); err != nil {
					return fmt.Errorf("demo: write recent data: %w", err)
				}
			}
			done, err := w.poll()
			if done || err != nil {
				return err
			}
			if mt := modTime(serving); !mt.Equal(servingMod) {
				servingMod = mt
				m, err := srv.Swap(serving)
				if err != nil {
					d.say("the model server could not load the deployed model: %v", err)
				} else {
					d.say("the model server now serves %s", m.Version)
				}
			}
		}
	}
}

// recentPaths are the files of recent labelled data the train and
// evaluate steps read.
func (d *run) recentPaths() (data, holdout string) {
	return filepath.Join(d.opts.Dir, "recent", "train.jsonl"), filepath.Join(d.opts.Dir, "recent", "holdout.jsonl")
}

// config is the demo's driftwatch configuration: the demo model on an
// embedded source, its retrain alerts evaluated in-process, a trigger
// rule, and a pipeline whose steps are this binary's demo step commands.
func (d *run) config(st *demo.Initial, serving string) (*config.Config, error) {
	cfg := &config.Config{}
	cfg.Server.SetDefaults()
	cfg.Server.Listen = d.opts.Listen
	cfg.Storage.Dir = filepath.Join(d.opts.Dir, "state")
	cfg.Prometheus.Rules.SetDefaults()
	cfg.Prometheus.Rules.For = d.scaled(alertFor)
	cfg.Prometheus.Rules.KeepFiringFor = 0
	cfg.Alertmanager.SetDefaults()
	cfg.Grafana.SetDefaults()
	cfg.LeaderElection.SetDefaults()

	m := st.Config
	m.Source = collectors.SourceConfig{Type: collectors.SourceEmbedded, Fields: m.Source.Fields}
	cfg.Models = []collectors.ModelConfig{m}

	cfg.Triggers.SetDefaults()
	r := triggers.Rule{}
	r.SetDefaults()
	r.Name, r.Pipeline = ruleName, pipelineName
	r.Match = map[string]string{"model": demo.ModelName}
	r.MatchRegex = map[string]string{"alertname": "DriftwatchDatasetDrift|DriftwatchQualityBelowThreshold"}
	r.Silence = false
	cfg.Triggers.Rules = []triggers.Rule{r}

	data, holdout := d.recentPaths()
	step := func(name string) pipelines.Step {
		var s pipelines.Step
		s.SetDefaults()
		s.Command = []string{d.opts.Executable, "demo", "step", name, "--data", data, "--holdout", holdout}
		s.Timeout = time.Minute
		s.Retries = 1
		s.Backoff = time.Second
		return s
	}
	p := pipelines.Pipeline{}
	p.SetDefaults()
	p.Name, p.Model = pipelineName, demo.ModelName
	p.Deadline = 10 * time.Minute
	p.Steps.Train, p.Steps.Evaluate = step(demo.StepTrain), step(demo.StepEvaluate)
	higher := pipelines.HigherIsBetter
	p.Gate.Metrics = []pipelines.GateMetric{
		{Metric: "roc_auc", Lower: ptr(demo.DefaultMinROCAUC), Change: &pipelines.ChangeThreshold{Direction: higher, Absolute: ptr(0.0)}},
		{Metric: "log_loss", Upper: ptr(0.6)},
	}
	p.Deploy.Target = pipelines.DeployCommand
	p.Deploy.Command.SetDefaults()
	p.Deploy.Command.Command = []string{d.opts.Executable, "demo", "step", "deploy", "--model-uri", "{{.URI}}", "--to", serving}
	p.Verify.SetDefaults()
	p.Verify.Period = d.scaled(verifyFor)
	p.Verify.MaxDriftShare = demo.DefaultDatasetShare
	p.Verify.Rollback = true
	cfg.Pipelines = []pipelines.Pipeline{p}

	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("demo: its configuration is invalid: %w", err)
	}
	return cfg, nil
}

func ptr[T any](v T) *T { return &v }

// modTime returns a file's modification time, or zero.
func modTime(path string) time.Time {
	st, err := os.Stat(path)
	if err != nil {
		return time.Time{}
	}
	return st.ModTime()
}

// Deploy is the demo's deploy command: it puts the model artifact at uri
// (a path or file:// URL) where the model server loads it from.
func Deploy(uri, to string) error {
	src := strings.TrimPrefix(uri, "file://")
	if _, err := demo.ReadModel(src); err != nil {
		return fmt.Errorf("deploy: %w", err)
	}
	return atomicfile.Copy(src, to)
}
