package pipelines

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// runDir is where a run keeps its logs, results and artifacts.
func (r *Runner) runDir(id string) string { return filepath.Join(r.opts.Dir, "runs", id) }

// workDir resolves a step's work_dir: relative to the configuration's
// directory, which is also the default.
func (r *Runner) workDir(dir string) string {
	switch {
	case dir == "":
		return r.opts.ConfigDir
	case filepath.IsAbs(dir) || r.opts.ConfigDir == "":
		return dir
	}
	return filepath.Join(r.opts.ConfigDir, dir)
}

// policy returns how the train or evaluate step of p runs.
func (r *Runner) policy(p Pipeline, name string) stepPolicy {
	s := p.Steps.Train
	if name == StepEvaluate {
		s = p.Steps.Evaluate
	}
	pol := stepPolicy{
		executor: r.opts.Executors[p.Executor], timeout: s.Timeout, retries: s.Retries, backoff: s.Backoff,
		permanent: s.PermanentFailureExitCodes, wantResult: true,
		spec: func(run Run, attempt int) (StepSpec, error) { return r.stepSpec(p, s, name, run, attempt) },
	}
	if name == StepTrain && p.Executor == ExecutorLocal {
		pol.check = checkLocalPaths
	}
	return pol
}

// stepSpec renders one attempt of a train or evaluate step.
func (r *Runner) stepSpec(p Pipeline, s Step, name string, run Run, attempt int) (StepSpec, error) {
	dir := r.runDir(run.ID)
	data := TemplateData{
		RunID: run.ID, Model: run.Model, Pipeline: run.Pipeline, Step: name, Attempt: attempt, Params: nonNil(run.Params),
		DataWindow:  TemplateWindow{Start: TemplateTime{run.DataWindow.Start}, End: TemplateTime{run.DataWindow.End}},
		ArtifactDir: filepath.Join(dir, "artifacts"),
	}
	switch name {
	case StepTrain:
		champion, ok, err := r.registry.Champion(run.Model)
		if err != nil {
			return StepSpec{}, err
		}
		if ok {
			data.Champion = TemplateModel{Version: champion.Version, URI: champion.ModelURI, ProfileURI: champion.ProfileURI}
		}
	case StepEvaluate:
		if c := run.Champion; c != nil {
			data.Champion = TemplateModel{Version: c.Version, URI: c.URI, ProfileURI: c.ProfileURI}
		}
		if c := run.Challenger; c != nil {
			data.Challenger = TemplateModel{Version: c.Version, URI: c.URI, ProfileURI: c.ProfileURI}
		}
	}
	args, env, err := renderStep(s, data)
	if err != nil {
		return StepSpec{}, fmt.Errorf("rendering the step: %w", err)
	}
	placement := p.Kubernetes
	if placement.PodAnnotations, err = renderPodAnnotations(p.Kubernetes, data); err != nil {
		return StepSpec{}, fmt.Errorf("rendering the step: %w", err)
	}
	secrets := map[string]string{}
	for k, ref := range s.SecretEnv {
		if secrets[k], err = r.opts.Secrets.Resolve(ref); err != nil {
			return StepSpec{}, fmt.Errorf("secret_env[%s]: %w", k, err)
		}
	}
	if err := os.MkdirAll(data.ArtifactDir, 0o755); err != nil {
		return StepSpec{}, err
	}
	return StepSpec{
		Name: fmt.Sprintf("%s-%s-%d", run.ID, name, attempt), RunID: run.ID, Model: run.Model, Pipeline: run.Pipeline,
		Step: name, Attempt: attempt, Image: s.Image, Command: s.Command, Args: args, Env: env, SecretEnv: secrets,
		WorkDir: r.workDir(s.WorkDir), Resources: s.Resources, Kubernetes: placement, Timeout: s.Timeout,
		LogPath:    filepath.Join(dir, fmt.Sprintf("%s-%d.log", name, attempt)),
		ResultPath: filepath.Join(dir, fmt.Sprintf("%s-%d.result.json", name, attempt)),
		WantResult: true, PermanentFailureExitCodes: s.PermanentFailureExitCodes,
	}, nil
}

// deploySpec renders a deploy, rollback or promotion (kind) that puts ref
// into service; name prefixes the attempt's name and file names. The
// command target renders its command; the other targets' Deployers get
// the version from deployPolicy.
func (r *Runner) deploySpec(p Pipeline, dir, name, runID, kind string, ref ModelRef, attempt int) (StepSpec, error) {
	data := DeployTemplateData{RunID: runID, Model: p.Model, Pipeline: p.Name, Kind: kind, Attempt: attempt, Version: ref.Version, URI: ref.URI, ProfileURI: ref.ProfileURI}
	var cmd []string
	if p.Deploy.Target == DeployCommand {
		var err error
		if cmd, err = renderDeploy(p.Deploy.Command, data); err != nil {
			return StepSpec{}, fmt.Errorf("rendering the deploy command: %w", err)
		}
	}
	return StepSpec{
		Name: fmt.Sprintf("%s-%s-%d", name, kind, attempt), RunID: runID, Model: p.Model, Pipeline: p.Name, Step: kind, Attempt: attempt,
		Command: cmd, Env: deployEnv(data), WorkDir: r.opts.ConfigDir, Timeout: p.Deploy.Timeout(),
		LogPath:    filepath.Join(dir, fmt.Sprintf("%s-%d.log", kind, attempt)),
		ResultPath: filepath.Join(dir, fmt.Sprintf("%s-%d.result.json", kind, attempt)),
	}, nil
}

// deployPolicy returns how a run's deploy, rollback or promotion (kind) of
// ref runs: once, bounded by the target's timeout, as a command on the
// local executor or through the target's Deployer. A failed deploy is not
// retried; the run rolls back to the champion instead.
func (r *Runner) deployPolicy(p Pipeline, kind string, ref ModelRef) stepPolicy {
	ex := r.opts.Executors[ExecutorLocal]
	if p.Deploy.Target != DeployCommand {
		ex = deployerExecutor(r.opts.Deployers[p.Deploy.Target], p, kind, ref)
	}
	return stepPolicy{
		executor: ex, timeout: p.Deploy.Timeout(),
		spec: func(run Run, attempt int) (StepSpec, error) {
			return r.deploySpec(p, r.runDir(run.ID), run.ID, run.ID, kind, ref, attempt)
		},
	}
}

// checkLocalPaths makes a local train step's relative model and profile
// paths absolute, from its working directory, so that the deploy command
// and the monitor find them, and checks that the profile exists.
func checkLocalPaths(res *Result, spec StepSpec) error {
	var errs []error
	for _, f := range []struct {
		name string
		uri  *string
	}{{"model_uri", &res.ModelURI}, {"profile_uri", &res.ProfileURI}} {
		u := *f.uri
		if strings.Contains(u, "://") {
			continue
		}
		if !filepath.IsAbs(u) && spec.WorkDir != "" {
			u = filepath.Join(spec.WorkDir, u)
		}
		if abs, err := filepath.Abs(u); err == nil {
			u = abs
		}
		*f.uri = u
		if f.name == "profile_uri" {
			if _, err := os.Stat(u); err != nil {
				errs = append(errs, fmt.Errorf("profile_uri: %w", err))
			}
		}
	}
	return errors.Join(errs...)
}
