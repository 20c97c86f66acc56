package pipelines_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/pipelines"
	"github.com/driftwatch/driftwatch/pipelines/local"
	"github.com/driftwatch/driftwatch/store"
)

func TestNewRunnerRejects(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*pipelines.Pipeline, *pipelines.Options)
		want   string
	}{
		{name: "missing dependencies", mutate: func(_ *pipelines.Pipeline, o *pipelines.Options) {
			*o = pipelines.Options{}
		}, want: "pipelines: Options.Dir is required\npipelines: Options.Executors needs the local executor, which also runs deploy commands\n" +
			"pipelines: Options.Observer is required\npipelines: Options.Registerer is required\npipelines: Options.Source is required\n" +
			"pipelines: Options.Store is required\npipelines: Options.Switcher is required"},
		{name: "kubernetes executor", mutate: func(p *pipelines.Pipeline, _ *pipelines.Options) {
			p.Executor = pipelines.ExecutorKubernetes
			p.Steps.Train.Image, p.Steps.Evaluate.Image = "train:1", "evaluate:1"
		}, want: "pipelines: pipeline churn-retrain: executor kubernetes is not available (Options.Executors has none)"},
		{name: "kserve target", mutate: func(p *pipelines.Pipeline, _ *pipelines.Options) {
			p.Deploy = pipelines.DeployConfig{Target: pipelines.DeployKServe, KServe: pipelines.KServeDeploy{Namespace: "serving", Name: "churn", Timeout: time.Minute}}
		}, want: "pipelines: pipeline churn-retrain: deploy target kserve is not available (Options.Deployers has none)"},
		{name: "canary needs a promoter", mutate: func(p *pipelines.Pipeline, o *pipelines.Options) {
			p.Deploy = pipelines.DeployConfig{Target: pipelines.DeployKServe, KServe: pipelines.KServeDeploy{Namespace: "serving", Name: "churn", CanaryTrafficPercent: 10, Timeout: time.Minute}}
			o.Deployers = map[pipelines.DeployTarget]pipelines.Deployer{pipelines.DeployKServe: pipelines.DeployerFunc(func(context.Context, pipelines.DeployRequest) (pipelines.Deployed, error) {
				return pipelines.Deployed{}, nil
			})}
		}, want: "pipelines: pipeline churn-retrain: the deployer of target kserve cannot promote a canary"},
		{name: "misspelt template field", mutate: func(p *pipelines.Pipeline, _ *pipelines.Options) {
			p.Steps.Train.Args = []string{"--start={{.Window.Start}}"}
		}, want: `pipelines: pipeline churn-retrain: steps.train.args[0]: template: args[0]:1:17: executing "args[0]" at <.Window.Start>: can't evaluate field Window in type pipelines.TemplateData`},
		{name: "misspelt pod annotation template", mutate: func(p *pipelines.Pipeline, o *pipelines.Options) {
			p.Executor = pipelines.ExecutorKubernetes
			p.Steps.Train.Image, p.Steps.Evaluate.Image = "train:1", "evaluate:1"
			p.Kubernetes.PodAnnotations = map[string]string{"example.com/run": "{{.RunId}}", "example.com/model": "{{.Model}}"}
			o.Executors[pipelines.ExecutorKubernetes] = pipelines.ExecutorFunc(func(context.Context, pipelines.StepSpec) (pipelines.StepOutcome, error) {
				return pipelines.StepOutcome{}, nil
			})
		}, want: `pipelines: pipeline churn-retrain: kubernetes.pod_annotations[example.com/run]: template: kubernetes.pod_annotations[example.com/run]:1:2: executing "kubernetes.pod_annotations[example.com/run]" at <.RunId>: can't evaluate field RunId in type pipelines.TemplateData`},
		{name: "reserved variable", mutate: func(p *pipelines.Pipeline, _ *pipelines.Options) {
			p.Steps.Evaluate.Env["DRIFTWATCH_MODEL"] = "x"
		}, want: "pipelines: pipeline churn-retrain: steps.evaluate.env[DRIFTWATCH_MODEL]: names starting with DRIFTWATCH_ are set by driftwatch"},
		{name: "bad deploy template", mutate: func(p *pipelines.Pipeline, _ *pipelines.Options) {
			p.Deploy.Command.Command = []string{"deploy", "{{.ModelURI}}"}
		}, want: `pipelines: pipeline churn-retrain: deploy.command.command[1]: template: deploy.command.command[1]:1:2: executing "deploy.command.command[1]" at <.ModelURI>: can't evaluate field ModelURI in type pipelines.DeployTemplateData`},
		{name: "invalid pipeline", mutate: func(p *pipelines.Pipeline, _ *pipelines.Options) { p.Deadline = 0 },
			want: "pipelines: pipeline churn-retrain: deadline: must be positive, got 0s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
			require.NoError(t, err)
			t.Cleanup(func() { _ = db.Close() })
			p := testPipeline("/bin/true", t.TempDir())
			rec := &recorder{}
			opts := pipelines.Options{
				Store: db, Source: &fakeSource{}, Switcher: rec, Observer: rec, Dir: t.TempDir(), Registerer: prometheus.NewRegistry(),
				Executors: map[pipelines.ExecutorType]pipelines.Executor{pipelines.ExecutorLocal: local.New(local.Options{})},
			}
			tc.mutate(&p, &opts)
			opts.Pipelines = []pipelines.Pipeline{p}
			_, err = pipelines.NewRunner(opts)
			require.EqualError(t, err, tc.want)
		})
	}
}
