package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/driftwatch/driftwatch/collectors/monitor"
	"github.com/driftwatch/driftwatch/pipelines"
	"github.com/driftwatch/driftwatch/pipelines/kubernetes"
	"github.com/driftwatch/driftwatch/pipelines/local"
	"github.com/driftwatch/driftwatch/triggers"
)

// newPipelines builds the pipeline runner over the trigger engine's run
// queue and mounts the runs and models API. Pipelines whose executor or
// deploy target is not available (the Kubernetes ones without cluster
// credentials) are left out: their runs fail at once with the reason, and
// the start log names them.
func (a *App) newPipelines() error {
	cfg := a.opts.Config
	if len(cfg.Pipelines) == 0 {
		return nil
	}
	executors := map[pipelines.ExecutorType]pipelines.Executor{
		pipelines.ExecutorLocal: local.New(local.Options{Logger: a.log.With("component", "local-executor")}),
	}
	deployers := map[pipelines.DeployTarget]pipelines.Deployer{}
	noCluster := a.addKubernetes(cfg.Pipelines, executors, deployers)
	for k, e := range a.opts.Executors {
		executors[k] = e
	}
	var supported []pipelines.Pipeline
	unsupported := map[string]string{}
	for _, p := range cfg.Pipelines {
		if why := unsupportedBy(p, executors, deployers, noCluster); why != "" {
			unsupported[p.Name] = why
			a.log.Error("pipeline cannot run; its runs will fail", "pipeline", p.Name, "reason", why)
			continue
		}
		supported = append(supported, p)
	}
	src := &runSource{engine: a.engine, unsupported: unsupported, log: a.log.With("component", "pipelines")}
	var err error
	a.runner, err = pipelines.NewRunner(pipelines.Options{
		Pipelines: supported, Store: a.db, Source: src,
		Switcher: pipelines.SwitcherFunc(a.Switch), Observer: pipelines.ObserverFunc(a.Observe),
		Executors: executors, Deployers: deployers, Dir: filepath.Join(cfg.Storage.Dir, "pipelines"), ConfigDir: a.opts.ConfigDir,
		Secrets: a.opts.Secrets, Window: a.lastWindow, Registerer: a.opts.Registry,
		Logger: a.log.With("component", "pipelines"), Now: a.opts.Now, VerifyInterval: a.opts.VerifyInterval,
	})
	if err != nil {
		return fmt.Errorf("pipelines: %w", err)
	}
	src.runner = a.runner
	models := make([]string, 0, len(cfg.Models))
	for _, m := range cfg.Models {
		models = append(models, m.Name)
	}
	api, err := pipelines.NewAPI(pipelines.APIOptions{Runner: a.runner, Logger: a.log.With("component", "api"), Models: models})
	if err != nil {
		return fmt.Errorf("pipelines API: %w", err)
	}
	api.Register(a.routes)
	return nil
}

// unsupportedBy says why a pipeline cannot run with the executors and
// deployers at hand, or "" when it can; noCluster says why there are no
// Kubernetes ones.
func unsupportedBy(p pipelines.Pipeline, executors map[pipelines.ExecutorType]pipelines.Executor, deployers map[pipelines.DeployTarget]pipelines.Deployer, noCluster error) string {
	err := pipelines.Supported(p, executors, deployers)
	if err == nil {
		return ""
	}
	if noCluster != nil {
		return err.Error() + ": " + noCluster.Error()
	}
	return err.Error()
}

// addKubernetes adds the kubernetes executor and the kubernetes-deployment
// and kserve deploy targets when a pipeline uses them and there are
// cluster credentials, found as kubectl finds them: $KUBECONFIG,
// ~/.kube/config, or the service account of the pod driftwatch runs in.
// It returns why there are none.
func (a *App) addKubernetes(ps []pipelines.Pipeline, executors map[pipelines.ExecutorType]pipelines.Executor, deployers map[pipelines.DeployTarget]pipelines.Deployer) error {
	if !slices.ContainsFunc(ps, func(p pipelines.Pipeline) bool {
		return p.Executor == pipelines.ExecutorKubernetes || p.Deploy.Target == pipelines.DeployKubernetesDeployment || p.Deploy.Target == pipelines.DeployKServe
	}) {
		return nil
	}
	cfg, err := kubernetes.LoadConfig()
	if err != nil {
		return err
	}
	kubernetes.RouteClientLogs(a.log)
	opts := kubernetes.Options{Config: cfg, Logger: a.log.With("component", "kubernetes")}
	ex, err := kubernetes.New(opts)
	if err != nil {
		return err
	}
	dep, err := kubernetes.NewDeploymentDeployer(opts)
	if err != nil {
		return err
	}
	ks, err := kubernetes.NewKServeDeployer(opts)
	if err != nil {
		return err
	}
	executors[pipelines.ExecutorKubernetes] = ex
	deployers[pipelines.DeployKubernetesDeployment], deployers[pipelines.DeployKServe] = dep, ks
	a.log.Info("pipelines can use Kubernetes", "server", cfg.Host)
	return nil
}

// startPipelines runs the pipeline runner until Stop.
func (a *App) startPipelines() {
	if a.runner == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.runner.Run(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("pipeline runner stopped", "err", err)
		}
	}()
	a.cleanups.push("pipelines", func(stopCtx context.Context) error {
		cancel()
		select {
		case <-done:
			return nil
		case <-stopCtx.Done():
			return fmt.Errorf("pipeline runs still stopping: %w", stopCtx.Err())
		}
	})
}

// Runner returns the pipeline runner, or nil when no pipeline is
// configured. With leader election it is nil on a standby, and each term
// has its own.
func (a *App) Runner() *pipelines.Runner {
	if c := a.control(); c != nil {
		return c.runner
	}
	return nil
}

// lastWindow is the data window a run uses by default: the model's latest
// published drift window.
func (a *App) lastWindow(model string, _ time.Time) pipelines.Window {
	s, ok := a.store.Snapshot(model)
	if !ok || s.Drift == nil {
		return pipelines.Window{}
	}
	return pipelines.Window{Start: s.Drift.Start, End: s.Drift.End}
}

// Observe reports what the monitor has published of a model version since
// it was switched to: the verify phase of a run polls it.
func (a *App) Observe(_ context.Context, model, version string) (pipelines.Observation, error) {
	s, ok := a.store.Snapshot(model)
	if !ok {
		return pipelines.Observation{}, fmt.Errorf("observe model %q: it is not monitored", model)
	}
	var o pipelines.Observation
	if s.Version != version {
		return o, nil
	}
	if s.DriftVersion == version && s.Drift != nil && !s.Drift.Skipped {
		o.Windows = int(s.VersionWindows(monitor.DriftWindow))
		o.DriftShare = s.Drift.Dataset.Share
	}
	if s.QualityVersion == version && s.Quality != nil && !s.Quality.Skipped {
		o.Quality = map[string]pipelines.QualityValue{}
		for _, m := range s.Quality.Metrics {
			if m.Defined {
				o.Quality[string(m.Metric)] = pipelines.QualityValue{Value: m.Value, Threshold: m.Threshold, Breached: m.Breached}
			}
		}
	}
	return o, nil
}

// runSource hands the trigger engine's runs to the pipeline runner and
// reports their ends back. Runs of pipelines this build cannot run fail
// at once. Runs the engine holds as running that the runner does not know,
// because a crash came between the engine's Next and the runner's first
// write, are handed out again first.
type runSource struct {
	engine      *triggers.Engine
	runner      *pipelines.Runner
	unsupported map[string]string
	log         *slog.Logger

	once    sync.Once
	orphans []triggers.Run
}

func (s *runSource) Next(ctx context.Context) (pipelines.Request, error) {
	s.once.Do(func() {
		runs, err := s.engine.Runs(ctx, triggers.RunFilter{State: triggers.RunRunning})
		if err != nil {
			s.log.Warn("could not list the runs in flight", "err", err)
			return
		}
		for _, r := range runs {
			if _, err := s.runner.Get(r.ID); errors.Is(err, pipelines.ErrNotFound) {
				s.log.Warn("handing out again a run that a restart interrupted before it was recorded", "run_id", r.ID)
				s.orphans = append(s.orphans, r)
			}
		}
	})
	for {
		var r triggers.Run
		if len(s.orphans) > 0 {
			r, s.orphans = s.orphans[0], s.orphans[1:]
		} else {
			var err error
			if r, err = s.engine.Next(ctx); err != nil {
				return pipelines.Request{}, err
			}
		}
		if why, ok := s.unsupported[r.Pipeline]; ok {
			if err := s.engine.Finish(ctx, r.ID, triggers.RunFailed, "pipeline "+r.Pipeline+": "+why); err != nil {
				s.log.Warn("could not fail a run of an unsupported pipeline", "run_id", r.ID, "err", err)
			}
			continue
		}
		return request(r), nil
	}
}

// request translates a trigger engine run.
func request(r triggers.Run) pipelines.Request {
	t := pipelines.Trigger{Labels: r.AlertLabels, RequestedBy: r.RequestedBy}
	switch r.Origin {
	case triggers.OriginAlertmanager, triggers.OriginEmbedded:
		t.Kind = pipelines.TriggerAlert
		t.AlertName = r.AlertLabels["alertname"]
		t.Fingerprint = r.TriggerKey
	case triggers.OriginSchedule:
		t.Kind = pipelines.TriggerSchedule
	default:
		t.Kind = pipelines.TriggerManual
	}
	return pipelines.Request{
		ID: r.ID, Model: r.Model, Pipeline: r.Pipeline, Rule: r.Rule, Reason: r.Reason,
		Trigger: t, Params: r.Params, RequestedAt: r.CreatedAt,
	}
}

func (s *runSource) Finish(ctx context.Context, id string, outcome pipelines.Outcome, message string) error {
	state := map[pipelines.Outcome]triggers.RunState{
		pipelines.OutcomeSucceeded: triggers.RunSucceeded, pipelines.OutcomeRejected: triggers.RunRejected,
		pipelines.OutcomeFailed: triggers.RunFailed, pipelines.OutcomeCancelled: triggers.RunCancelled,
		pipelines.OutcomeRolledBack: triggers.RunRolledBack,
	}[outcome]
	if state == "" {
		return fmt.Errorf("%w: unknown outcome %q", pipelines.ErrRefused, outcome)
	}
	err := s.engine.Finish(ctx, id, state, message)
	if errors.Is(err, triggers.ErrInvalid) {
		return fmt.Errorf("%w: %w", pipelines.ErrRefused, err)
	}
	return err
}
