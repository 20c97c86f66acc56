package kubernetes

import (
	"maps"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/driftwatch/driftwatch/pipelines"
)

var dnsLabelRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

func TestJobName(t *testing.T) {
	long := strings.Repeat("credit-risk-", 6) + "model"
	tests := []struct {
		name string
		spec pipelines.StepSpec
		want string
	}{
		{name: "fits", spec: pipelines.StepSpec{Model: "credit-risk", RunID: "20250301-120000-000001", Step: "train", Attempt: 1},
			want: "credit-risk-20250301-120000-000001-train-1"},
		{name: "too long", spec: pipelines.StepSpec{Model: long, RunID: "20250301-120000-000001", Step: "evaluate", Attempt: 12},
			want: "credit-risk-credit-a4650936-20250301-120000-000001-evaluate-12"},
		{name: "not a label", spec: pipelines.StepSpec{Model: "Credit_Risk", RunID: "r1", Step: "train", Attempt: 1},
			want: "credit-risk-8a669ba3-r1-train-1"},
		{name: "long run id", spec: pipelines.StepSpec{Model: "churn", RunID: strings.Repeat("r", 63), Step: "train", Attempt: 1},
			want: "churn-rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr-b5020d32"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := JobName(tc.spec)
			require.Equal(t, tc.want, got)
			require.LessOrEqual(t, len(got), 63)
			require.Regexp(t, dnsLabelRE, got)
			require.Equal(t, got, JobName(tc.spec), "the same attempt has the same name")
			next := tc.spec
			next.Attempt++
			require.NotEqual(t, got, JobName(next), "another attempt has another name")
		})
	}
}

// baseSpec is a rendered train step of the tests.
func baseSpec() pipelines.StepSpec {
	s := pipelines.StepSpec{
		Name: "r1-train-1", RunID: "r1", Model: "churn", Pipeline: "churn-retrain", Step: "train", Attempt: 1,
		Image: "registry.example/churn-train:3", Command: []string{"python", "-m", "train"}, Args: []string{"--lr=0.1"},
		Env:     map[string]string{"DRIFTWATCH_RUN_ID": "r1", "B": "2", "A": "1"},
		Timeout: 90*time.Minute + 500*time.Millisecond,
	}
	s.Kubernetes.SetDefaults()
	s.Kubernetes.Namespace = "ml"
	return s
}

func TestBuildJob(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*pipelines.StepSpec)
		check  func(t *testing.T, j *batchv1.Job, sec *corev1.Secret)
	}{
		{name: "cpu step", mutate: func(s *pipelines.StepSpec) { s.Resources = pipelines.Resources{CPU: "2", Memory: "4Gi"} },
			check: func(t *testing.T, j *batchv1.Job, sec *corev1.Secret) {
				require.Nil(t, sec)
				require.Equal(t, "churn-r1-train-1", j.Name)
				require.Equal(t, "ml", j.Namespace)
				require.Equal(t, int32(0), *j.Spec.BackoffLimit, "retries are the Runner's")
				require.Equal(t, int64(5401), *j.Spec.ActiveDeadlineSeconds)
				require.Equal(t, int32(86400), *j.Spec.TTLSecondsAfterFinished)
				require.False(t, *j.Spec.Suspend)
				require.Equal(t, batchv1.Failed, *j.Spec.PodReplacementPolicy)
				pod := j.Spec.Template.Spec
				require.Equal(t, corev1.RestartPolicyNever, pod.RestartPolicy)
				require.Empty(t, pod.NodeSelector)
				require.Empty(t, pod.Tolerations)
				c := pod.Containers[0]
				require.Equal(t, "step", c.Name)
				require.Equal(t, []string{"python", "-m", "train"}, c.Command)
				require.Equal(t, []string{"--lr=0.1"}, c.Args)
				require.Equal(t, corev1.TerminationMessageFallbackToLogsOnError, c.TerminationMessagePolicy)
				require.Equal(t, "/dev/termination-log", c.TerminationMessagePath)
				want := []corev1.EnvVar{{Name: "A", Value: "1"}, {Name: "B", Value: "2"}, {Name: "DRIFTWATCH_RUN_ID", Value: "r1"}, {Name: "DRIFTWATCH_RESULT", Value: "/dev/termination-log"}}
				if diff := cmp.Diff(want, c.Env); diff != "" {
					t.Errorf("env (-want +got):\n%s", diff)
				}
				q := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi")}
				require.Equal(t, q, c.Resources.Requests)
				require.Equal(t, q, c.Resources.Limits)
				require.Equal(t, map[string]string{
					"app.kubernetes.io/managed-by": "driftwatch", "app.kubernetes.io/component": "pipeline-step", "driftwatch.dev/model": "churn",
					"driftwatch.dev/pipeline": "churn-retrain", "driftwatch.dev/run-id": "r1", "driftwatch.dev/step": "train", "driftwatch.dev/attempt": "1",
				}, j.Labels)
				require.Equal(t, "r1-train-1", j.Annotations["driftwatch.dev/attempt-name"])
				require.Len(t, j.Spec.PodFailurePolicy.Rules, 1)
			}},
		{name: "gpu step on a product", mutate: func(s *pipelines.StepSpec) {
			s.Resources = pipelines.Resources{GPU: 2, GPUProduct: "NVIDIA-H100-80GB-HBM3"}
		}, check: func(t *testing.T, j *batchv1.Job, _ *corev1.Secret) {
			pod := j.Spec.Template.Spec
			require.Equal(t, map[string]string{"nvidia.com/gpu.present": "true", "nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}, pod.NodeSelector)
			require.Equal(t, []corev1.Toleration{{Key: "nvidia.com/gpu", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}, pod.Tolerations)
			r := pod.Containers[0].Resources
			require.Nil(t, r.Requests, "an extended resource's limit is its request")
			require.True(t, r.Limits[resourceGPU].Equal(resource.MustParse("2")))
		}},
		{name: "kueue, placement and volumes", mutate: func(s *pipelines.StepSpec) {
			s.Kubernetes.Queue, s.Kubernetes.PriorityClass, s.Kubernetes.ServiceAccount = "gpu-training", "batch-high", "trainer"
			s.Kubernetes.ImagePullSecrets = []string{"registry"}
			s.Kubernetes.TTLAfterFinished = 0
			s.Kubernetes.Volumes = []pipelines.Volume{{Name: "data", MountPath: "/data", ReadOnly: true, Claim: "training-data"}}
			s.PermanentFailureExitCodes = []int{42, 3, 42}
		}, check: func(t *testing.T, j *batchv1.Job, _ *corev1.Secret) {
			require.Equal(t, "gpu-training", j.Labels["kueue.x-k8s.io/queue-name"])
			require.NotContains(t, j.Spec.Template.Labels, "kueue.x-k8s.io/queue-name")
			require.True(t, *j.Spec.Suspend, "Kueue admits a Job by resuming it")
			require.Equal(t, int32(60), *j.Spec.TTLSecondsAfterFinished, "kept long enough to read the result")
			pod := j.Spec.Template.Spec
			require.Equal(t, "batch-high", pod.PriorityClassName)
			require.Equal(t, "trainer", pod.ServiceAccountName)
			require.Equal(t, []corev1.LocalObjectReference{{Name: "registry"}}, pod.ImagePullSecrets)
			require.Equal(t, "training-data", pod.Volumes[0].PersistentVolumeClaim.ClaimName)
			require.Equal(t, []corev1.VolumeMount{{Name: "data", MountPath: "/data", ReadOnly: true}}, pod.Containers[0].VolumeMounts)
			want := &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{
				{Action: batchv1.PodFailurePolicyActionIgnore, OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}}},
				{Action: batchv1.PodFailurePolicyActionFailJob, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{
					ContainerName: ptr("step"), Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{3, 42}}},
			}}
			if diff := cmp.Diff(want, j.Spec.PodFailurePolicy); diff != "" {
				t.Errorf("podFailurePolicy (-want +got):\n%s", diff)
			}
		}},
		{name: "secret env", mutate: func(s *pipelines.StepSpec) {
			s.SecretEnv = map[string]string{"DB_PASSWORD": "hunter2"}
		}, check: func(t *testing.T, j *batchv1.Job, sec *corev1.Secret) {
			require.Equal(t, j.Name, sec.Name)
			require.Equal(t, "ml", sec.Namespace)
			require.Equal(t, map[string][]byte{"DB_PASSWORD": []byte("hunter2")}, sec.Data)
			env := j.Spec.Template.Spec.Containers[0].Env
			last := env[len(env)-1]
			require.Equal(t, "DB_PASSWORD", last.Name)
			require.Empty(t, last.Value, "the value stays out of the Job")
			require.Equal(t, &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: j.Name}, Key: "DB_PASSWORD"}, last.ValueFrom.SecretKeyRef)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := baseSpec()
			tc.mutate(&s)
			j, sec, err := buildJob(s, map[string]string{"note": "x"})
			require.NoError(t, err)
			require.Equal(t, map[string]string{"note": "x"}, j.Spec.Template.Annotations)
			tc.check(t, j, sec)
		})
	}
}

func TestBuildJobPodAnnotations(t *testing.T) {
	tests := []struct {
		name       string
		configured map[string]string
		extra      map[string]string
		want       map[string]string
	}{
		{name: "none"},
		{name: "configured", configured: map[string]string{"sidecar.istio.io/inject": "false", "example.com/run": "r1"},
			want: map[string]string{"sidecar.istio.io/inject": "false", "example.com/run": "r1"}},
		{name: "hook only", extra: map[string]string{"note": "x"}, want: map[string]string{"note": "x"}},
		{name: "hook over configured", configured: map[string]string{"a": "1", "b": "2"}, extra: map[string]string{"b": "3"},
			want: map[string]string{"a": "1", "b": "3"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := baseSpec()
			s.Kubernetes.PodAnnotations = tc.configured
			before := maps.Clone(tc.configured)
			j, _, err := buildJob(s, tc.extra)
			require.NoError(t, err)
			if diff := cmp.Diff(tc.want, j.Spec.Template.Annotations); diff != "" {
				t.Errorf("pod annotations (-want +got):\n%s", diff)
			}
			require.Equal(t, before, tc.configured, "the step's map is not changed")
			require.NotContains(t, j.Annotations, "b", "the Job itself does not get them")
		})
	}
}

func TestBuildJobRejects(t *testing.T) {
	s := baseSpec()
	s.Resources.CPU, s.Resources.Memory = "two", "4Gi"
	_, _, err := buildJob(s, nil)
	require.ErrorIs(t, err, pipelines.ErrPermanent)
	require.EqualError(t, err, `permanent failure: resources.cpu: "two" is not a Kubernetes quantity`)

	s = baseSpec()
	s.Image = ""
	_, _, err = buildJob(s, nil)
	require.ErrorIs(t, err, pipelines.ErrPermanent)
}
