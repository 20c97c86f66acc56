package kubernetes_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/driftwatch/driftwatch/internal/testenv"
	"github.com/driftwatch/driftwatch/pipelines"
	kube "github.com/driftwatch/driftwatch/pipelines/kubernetes"
)

const (
	trainResult    = `{"model_uri": "s3://models/churn/r1", "profile_uri": "s3://models/churn/r1/profile.json", "metrics": {"train_loss": 0.21}}`
	evaluateResult = `{"metrics": {"auc": 0.91}, "champion_metrics": {"auc": 0.88}}`
)

// podOf returns the only pod of a step's Job and the labels of its node.
func podOf(t *testing.T, c kubernetes.Interface, s pipelines.StepSpec) (string, map[string]string) {
	t.Helper()
	pods, err := c.CoreV1().Pods(s.Kubernetes.Namespace).List(context.Background(), metav1.ListOptions{LabelSelector: batchv1.JobNameLabel + "=" + kube.JobName(s)})
	require.NoError(t, err)
	require.Len(t, pods.Items, 1)
	node, err := c.CoreV1().Nodes().Get(context.Background(), pods.Items[0].Spec.NodeName, metav1.GetOptions{})
	require.NoError(t, err)
	return node.Name, node.Labels
}

func TestStepPlacementAndResult(t *testing.T) {
	t.Parallel()
	cfg, c := cluster(t)
	tests := []struct {
		name      string
		step      string
		resources pipelines.Resources
		result    string
		node      func(t *testing.T, name string, labels map[string]string)
	}{
		{name: "gpu training lands on a gpu node", step: pipelines.StepTrain, resources: pipelines.Resources{GPU: 1, CPU: "4", Memory: "16Gi"}, result: trainResult,
			node: func(t *testing.T, _ string, labels map[string]string) {
				require.Equal(t, "true", labels["nvidia.com/gpu.present"])
			}},
		{name: "gpu product selects its node", step: pipelines.StepTrain, resources: pipelines.Resources{GPU: 8, GPUProduct: testenv.GPUProductH100}, result: trainResult,
			node: func(t *testing.T, name string, _ map[string]string) { require.Equal(t, testenv.KwokGPUNodeH100, name) }},
		{name: "cpu evaluation lands on the cpu node", step: pipelines.StepEvaluate, resources: pipelines.Resources{CPU: "2", Memory: "4Gi"}, result: evaluateResult,
			node: func(t *testing.T, name string, _ map[string]string) { require.Equal(t, testenv.KwokCPUNode, name) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ns := namespace(t, c)
			ex, err := kube.New(options(t, cfg, script{tc.step: testenv.FakePodAnnotations(0, tc.result, 0)}))
			require.NoError(t, err)
			s := stepSpec(t, ns, "r1", tc.step)
			s.Resources = tc.resources
			var seen phases
			s.Progress = seen.record

			out, err := ex.Execute(context.Background(), s)
			require.NoError(t, err)
			require.Equal(t, 0, out.ExitCode)
			require.JSONEq(t, tc.result, string(out.Result))
			_, err = pipelines.ParseResult(tc.step, out.Result)
			require.NoError(t, err, "the termination message is a valid result")
			require.Equal(t, s.LogPath, out.Log)
			name, labels := podOf(t, c, s)
			tc.node(t, name, labels)
			log := readLog(t, s.LogPath)
			require.Contains(t, log, "=== driftwatch: r1-"+tc.step+"-1: Job "+ns+"/churn-r1-"+tc.step+"-1, image registry.example/churn-"+tc.step+":1")
			require.Contains(t, log, "succeeded (pod churn-r1-"+tc.step+"-1-")
			// The harness's kubelets serve no logs; the log says so.
			require.Contains(t, log, "could not fetch the logs of pod")
		})
	}
}

func TestFailingStep(t *testing.T) {
	t.Parallel()
	cfg, c := cluster(t)
	tests := []struct {
		name       string
		exitCode   int
		permanent  []int
		wantReason string
	}{
		{name: "exit code", exitCode: 3, wantReason: "container Error; Job BackoffLimitExceeded: Job has reached the specified backoff limit"},
		{name: "permanent exit code fails the job at once", exitCode: 42, permanent: []int{7, 42},
			wantReason: "container Error; Job PodFailurePolicy: Container step for pod "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ns := namespace(t, c)
			ex, err := kube.New(options(t, cfg, script{"train": testenv.FakePodAnnotations(tc.exitCode, "Traceback: no data in the window", 0)}))
			require.NoError(t, err)
			s := stepSpec(t, ns, "r1", "train")
			s.PermanentFailureExitCodes = tc.permanent

			out, err := ex.Execute(context.Background(), s)
			require.NoError(t, err)
			require.Equal(t, tc.exitCode, out.ExitCode)
			require.Contains(t, out.Reason, tc.wantReason)
			require.Nil(t, out.Result)
			// The message of a failed container is the end of its output
			// (FallbackToLogsOnError); it goes to the attempt's log.
			require.Contains(t, readLog(t, s.LogPath), "Traceback: no data in the window")
		})
	}
}

// TestRestartAdoptsTheJob stops or "crashes" driftwatch while a step's Job
// runs; the executor of the next start adopts the Job instead of creating
// a second one.
func TestRestartAdoptsTheJob(t *testing.T) {
	t.Parallel()
	cfg, c := cluster(t)
	for _, crash := range []bool{false, true} {
		name := map[bool]string{false: "stop", true: "crash"}[crash]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ns := namespace(t, c)
			sc := script{"train": testenv.FakePodAnnotations(0, trainResult, 3*time.Second)}
			s := stepSpec(t, ns, "r1", "train")
			s.Resources.GPU = 1
			var seen phases
			s.Progress = seen.record

			first, err := kube.New(options(t, cfg, sc))
			require.NoError(t, err)
			ctx, stop := context.WithCancelCause(context.Background())
			defer stop(nil)
			done := make(chan error, 1)
			go func() {
				_, err := first.Execute(ctx, s)
				done <- err
			}()
			require.Eventually(t, func() bool { return seen.seen(pipelines.PhasePending) || seen.seen(pipelines.PhaseRunning) }, waitBound, 50*time.Millisecond)
			job, err := c.BatchV1().Jobs(ns).Get(context.Background(), kube.JobName(s), metav1.GetOptions{})
			require.NoError(t, err)
			if !crash {
				// Stopping leaves the Job running.
				stop(pipelines.ErrShutdown)
				require.NoError(t, <-done)
				_, err := c.BatchV1().Jobs(ns).Get(context.Background(), job.Name, metav1.GetOptions{})
				require.NoError(t, err)
			}

			second, err := kube.New(options(t, cfg, sc))
			require.NoError(t, err)
			out, err := second.Execute(context.Background(), s)
			require.NoError(t, err)
			require.Equal(t, 0, out.ExitCode)
			require.JSONEq(t, trainResult, string(out.Result))
			if crash {
				stop(pipelines.ErrShutdown)
				require.NoError(t, <-done)
			}

			jobs, err := c.BatchV1().Jobs(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "driftwatch.dev/run-id=r1"})
			require.NoError(t, err)
			require.Len(t, jobs.Items, 1, "exactly one Job for the attempt")
			require.Equal(t, job.UID, jobs.Items[0].UID)
			log := readLog(t, s.LogPath)
			require.Contains(t, log, "=== driftwatch: adopted Job "+ns+"/"+job.Name)
			if !crash {
				require.Contains(t, log, "driftwatch is stopping; Job "+ns+"/"+job.Name+" keeps running, and the next start adopts it")
			}
		})
	}
}

func TestCancelDeletesTheJob(t *testing.T) {
	t.Parallel()
	cfg, c := cluster(t)
	ns := namespace(t, c)
	ex, err := kube.New(options(t, cfg, script{"train": testenv.FakePodAnnotations(0, trainResult, time.Hour)}))
	require.NoError(t, err)
	s := stepSpec(t, ns, "r1", "train")
	var seen phases
	s.Progress = seen.record
	ctx, cancel := context.WithCancelCause(context.Background())
	type result struct {
		out pipelines.StepOutcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := ex.Execute(ctx, s)
		done <- result{out, err}
	}()
	require.Eventually(t, func() bool { return seen.seen(pipelines.PhaseRunning) }, waitBound, 50*time.Millisecond)
	job, err := c.BatchV1().Jobs(ns).Get(context.Background(), kube.JobName(s), metav1.GetOptions{})
	require.NoError(t, err)

	cancel(errors.New("run cancelled"))
	r := <-done
	require.NoError(t, r.err)
	require.Equal(t, -1, r.out.ExitCode)
	_, err = c.BatchV1().Jobs(ns).Get(context.Background(), job.Name, metav1.GetOptions{})
	require.True(t, apierrors.IsNotFound(err), "the Job is gone once Execute returns: %v", err)
	pods, err := c.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: batchv1.ControllerUidLabel + "=" + string(job.UID)})
	require.NoError(t, err)
	require.Empty(t, pods.Items, "foreground propagation deleted the pods first")
	require.Contains(t, readLog(t, s.LogPath), "=== driftwatch: run cancelled; deleted Job "+ns+"/"+job.Name+" and its pods")
}

// TestKueueQueuedJob plays Kueue: a Job with a queue is created suspended
// and shows as queued until it is admitted (resumed).
func TestKueueQueuedJob(t *testing.T) {
	t.Parallel()
	cfg, c := cluster(t)
	ns := namespace(t, c)
	ex, err := kube.New(options(t, cfg, script{"train": testenv.FakePodAnnotations(0, trainResult, 0)}))
	require.NoError(t, err)
	s := stepSpec(t, ns, "r1", "train")
	s.Kubernetes.Queue = "gpu-training"
	s.Resources.GPU = 2
	var seen phases
	s.Progress = seen.record
	type result struct {
		out pipelines.StepOutcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := ex.Execute(context.Background(), s)
		done <- result{out, err}
	}()
	require.Eventually(t, func() bool { return seen.seen(pipelines.PhaseQueued) }, waitBound, 50*time.Millisecond)
	job, err := c.BatchV1().Jobs(ns).Get(context.Background(), kube.JobName(s), metav1.GetOptions{})
	require.NoError(t, err)
	require.True(t, *job.Spec.Suspend)
	require.Equal(t, "gpu-training", job.Labels["kueue.x-k8s.io/queue-name"])
	pods, err := c.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	require.Empty(t, pods.Items, "a queued Job has no pods")

	// Kueue admits the Job by resuming it.
	_, err = c.BatchV1().Jobs(ns).Patch(context.Background(), job.Name, types.MergePatchType, []byte(`{"spec":{"suspend":false}}`), metav1.PatchOptions{})
	require.NoError(t, err)
	r := <-done
	require.NoError(t, r.err)
	require.Equal(t, 0, r.out.ExitCode)
	require.JSONEq(t, trainResult, string(r.out.Result))
	got, msgs := seen.all()
	require.Equal(t, pipelines.PhaseQueued, got[0])
	require.Equal(t, "Job "+ns+"/"+job.Name+" is suspended until Kueue admits it from LocalQueue gpu-training", msgs[0])
	require.Contains(t, readLog(t, s.LogPath), "=== driftwatch: queued: Job "+ns+"/"+job.Name+" is suspended until Kueue admits it")
}

func TestSecretEnvIsOwnedByTheJob(t *testing.T) {
	t.Parallel()
	cfg, c := cluster(t)
	ns := namespace(t, c)
	ex, err := kube.New(options(t, cfg, script{"train": testenv.FakePodAnnotations(0, trainResult, 0)}))
	require.NoError(t, err)
	s := stepSpec(t, ns, "r1", "train")
	s.SecretEnv = map[string]string{"WAREHOUSE_TOKEN": "s3cr3t-t0ken"}

	out, err := ex.Execute(context.Background(), s)
	require.NoError(t, err)
	require.Equal(t, 0, out.ExitCode)
	job, err := c.BatchV1().Jobs(ns).Get(context.Background(), kube.JobName(s), metav1.GetOptions{})
	require.NoError(t, err)
	sec, err := c.CoreV1().Secrets(ns).Get(context.Background(), job.Name, metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, "s3cr3t-t0ken", string(sec.Data["WAREHOUSE_TOKEN"]))
	require.Len(t, sec.OwnerReferences, 1)
	require.Equal(t, job.UID, sec.OwnerReferences[0].UID)
	env := job.Spec.Template.Spec.Containers[0].Env
	require.Equal(t, job.Name, env[len(env)-1].ValueFrom.SecretKeyRef.Name)
	require.NotContains(t, readLog(t, s.LogPath), "s3cr3t-t0ken")
}
