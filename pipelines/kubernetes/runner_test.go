package kubernetes_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftwatch/driftwatch/internal/testenv"
	"github.com/driftwatch/driftwatch/pipelines"
	kube "github.com/driftwatch/driftwatch/pipelines/kubernetes"
	"github.com/driftwatch/driftwatch/pipelines/local"
	"github.com/driftwatch/driftwatch/store"
)

// source hands out the runs submitted to it and ignores reports.
type source struct{ reqs chan pipelines.Request }

func (s source) Next(ctx context.Context) (pipelines.Request, error) {
	select {
	case r := <-s.reqs:
		return r, nil
	case <-ctx.Done():
		return pipelines.Request{}, ctx.Err()
	}
}

func (source) Finish(context.Context, string, pipelines.Outcome, string) error { return nil }

// monitor records the switches and sees nothing wrong.
type monitor struct {
	mu       sync.Mutex
	switches []string
}

func (m *monitor) Switch(_ context.Context, model, version, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.switches = append(m.switches, model+"@"+version)
	return nil
}

func (m *monitor) Observe(context.Context, string, string) (pipelines.Observation, error) {
	return pipelines.Observation{Windows: 1, DriftShare: 0.1}, nil
}

// TestRunnerOnTheCluster drives runs through the Runner with the
// kubernetes executor and the kubernetes-deployment target: a GPU training
// Job, a CPU evaluation Job, the gate on the evaluation's result from its
// termination message, and the rollout of the new model to the serving
// Deployment; or a training Job that fails with a permanent exit code.
func TestRunnerOnTheCluster(t *testing.T) {
	t.Parallel()
	cfg, c := cluster(t)
	tests := []struct {
		name      string
		trainExit int
		check     func(t *testing.T, ns string, run pipelines.Run)
	}{
		{name: "retrains and deploys", check: func(t *testing.T, ns string, run pipelines.Run) {
			require.Equal(t, pipelines.StateSucceeded, run.State, run.Error)
			require.Equal(t, "s3://models/churn/r1", run.Challenger.URI)
			require.Equal(t, map[string]float64{"auc": 0.91}, run.Challenger.Metrics)
			dep, err := c.AppsV1().Deployments(ns).Get(context.Background(), "churn-server", metav1.GetOptions{})
			require.NoError(t, err)
			require.Equal(t, "s3://models/churn/r1", dep.Spec.Template.Spec.Containers[1].Env[1].Value)
			require.True(t, rolledOut(dep))
		}},
		{name: "permanent failure", trainExit: 4, check: func(t *testing.T, _ string, run pipelines.Run) {
			require.Equal(t, pipelines.StateFailed, run.State)
			require.Equal(t, "train", run.FailedStep)
			require.Contains(t, run.Error, "step train failed: attempt 1 exited with code 4 (container Error; Job PodFailurePolicy: Container step for pod ")
			require.Contains(t, run.Error, "matching FailJob rule at index 1), a permanent failure exit code; not retried; logs: ")
			require.Len(t, run.Steps[0].Attempts, 1)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ns := namespace(t, c)
			servingDeployment(t, c, ns, 600)
			sc := script{
				pipelines.StepTrain:    testenv.FakePodAnnotations(tc.trainExit, trainResult, 0),
				pipelines.StepEvaluate: testenv.FakePodAnnotations(0, evaluateResult, 0),
			}
			ex, err := kube.New(options(t, cfg, sc))
			require.NoError(t, err)
			dep, err := kube.NewDeploymentDeployer(options(t, cfg, nil))
			require.NoError(t, err)

			var p pipelines.Pipeline
			p.SetDefaults()
			p.Name, p.Model, p.Executor = "churn-retrain", "churn", pipelines.ExecutorKubernetes
			p.Kubernetes.SetDefaults()
			p.Kubernetes.Namespace = ns
			for _, s := range []*pipelines.Step{&p.Steps.Train, &p.Steps.Evaluate} {
				s.SetDefaults()
				s.Retries = 0
				s.PermanentFailureExitCodes = []int{4}
			}
			p.Steps.Train.Image, p.Steps.Train.Resources = "registry.example/churn-train:1", pipelines.Resources{GPU: 1}
			p.Steps.Evaluate.Image = "registry.example/churn-evaluate:1"
			p.Steps.Evaluate.Args = []string{"--challenger={{.Challenger.URI}}"}
			p.Gate.Metrics = []pipelines.GateMetric{{Metric: "auc", Lower: ptr(0.8)}}
			p.Deploy.Target = pipelines.DeployKubernetesDeployment
			p.Deploy.Deployment = pipelines.DeploymentDeploy{Namespace: ns, Name: "churn-server", Container: "server", Env: "MODEL_URI"}
			p.Deploy.Deployment.SetDefaults()
			p.Verify.SetDefaults()
			require.NoError(t, p.Validate())

			dir := t.TempDir()
			db, err := store.Open(filepath.Join(dir, "driftwatch.db"), store.Options{OpenTimeout: 5 * time.Second})
			require.NoError(t, err)
			t.Cleanup(func() { _ = db.Close() })
			src := source{reqs: make(chan pipelines.Request, 1)}
			mon := &monitor{}
			r, err := pipelines.NewRunner(pipelines.Options{
				Pipelines: []pipelines.Pipeline{p}, Store: db, Source: src, Switcher: mon, Observer: mon,
				Executors: map[pipelines.ExecutorType]pipelines.Executor{
					pipelines.ExecutorLocal: local.New(local.Options{}), pipelines.ExecutorKubernetes: ex,
				},
				Deployers: map[pipelines.DeployTarget]pipelines.Deployer{pipelines.DeployKubernetesDeployment: dep},
				Dir:       dir, Registerer: prometheus.NewRegistry(), Logger: slog.New(slog.NewTextHandler(testLog{t}, nil)),
			})
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- r.Run(ctx) }()
			t.Cleanup(func() {
				cancel()
				require.NoError(t, <-done)
			})
			src.reqs <- pipelines.Request{ID: "r1", Model: "churn", Pipeline: p.Name, Reason: "drift", Trigger: pipelines.Trigger{Kind: pipelines.TriggerManual}}

			var run pipelines.Run
			require.Eventually(t, func() bool {
				run, err = r.Get("r1")
				return err == nil && run.State.Terminal()
			}, waitBound, 50*time.Millisecond, "the run never ended; last: %s %s", run.State, run.Error)
			tc.check(t, ns, run)
		})
	}
}
