package kubernetes_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/driftwatch/driftwatch/pipelines"
	kube "github.com/driftwatch/driftwatch/pipelines/kubernetes"
)

// servingDeployment creates the Deployment of a model server: two replicas
// on the harness's CPU node, which kwok makes ready, and the model URI in
// the image, an environment variable and an argument.
func servingDeployment(t *testing.T, c kubernetes.Interface, ns string, progressDeadline int32) *appsv1.Deployment {
	t.Helper()
	labels := map[string]string{"app": "churn-server"}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "churn-server", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr[int32](2), ProgressDeadlineSeconds: &progressDeadline,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: map[string]string{
					"pod-create.stage.kwok.x-k8s.io/jitter-delay": "0s", "pod-ready.stage.kwok.x-k8s.io/jitter-delay": "0s",
				}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{
					{Name: "proxy", Image: "registry.example/proxy:1"},
					{Name: "server", Image: "registry.example/churn-server:v0", Args: []string{"--port=8080", "--model-uri=s3://models/churn/v0"},
						Env: []corev1.EnvVar{{Name: "LOG_LEVEL", Value: "info"}, {Name: "MODEL_URI", Value: "s3://models/churn/v0"}}},
				}},
			},
		},
	}
	d, err := c.AppsV1().Deployments(ns).Create(context.Background(), d, metav1.CreateOptions{})
	require.NoError(t, err)
	return d
}

// deployRequest asks to deploy a version to the test's Deployment.
func deployRequest(ns, kind, version, uri string, target pipelines.DeploymentDeploy, log *bytes.Buffer) pipelines.DeployRequest {
	target.Namespace, target.Name, target.Container = ns, "churn-server", "server"
	target.SetDefaults()
	return pipelines.DeployRequest{
		Name: "run-" + version + "-" + kind + "-1", RunID: "run-" + version, Model: "churn", Pipeline: "churn-retrain", Kind: kind, Attempt: 1,
		Version: pipelines.ModelRef{Version: version, URI: uri},
		Config:  pipelines.DeployConfig{Target: pipelines.DeployKubernetesDeployment, Deployment: target},
		Log:     log,
	}
}

// rolledOut reports whether every replica runs the Deployment's template.
func rolledOut(d *appsv1.Deployment) bool {
	s := d.Status
	return d.Generation == s.ObservedGeneration && s.UpdatedReplicas == *d.Spec.Replicas && s.Replicas == s.UpdatedReplicas && s.AvailableReplicas == s.UpdatedReplicas
}

func TestDeploymentTargetRollsOut(t *testing.T) {
	t.Parallel()
	cfg, c := cluster(t)
	tests := []struct {
		name   string
		target pipelines.DeploymentDeploy
		uri    func(version string) string
		read   func(c corev1.Container) string
	}{
		{name: "env", target: pipelines.DeploymentDeploy{Env: "MODEL_URI"},
			uri: func(v string) string { return "s3://models/churn/" + v },
			read: func(c corev1.Container) string {
				require.Equal(t, "info", c.Env[0].Value, "other variables stay")
				return c.Env[1].Value
			}},
		{name: "arg", target: pipelines.DeploymentDeploy{Arg: "--model-uri="},
			uri: func(v string) string { return "s3://models/churn/" + v },
			read: func(c corev1.Container) string {
				require.Equal(t, "--port=8080", c.Args[0], "other arguments stay")
				return c.Args[1][len("--model-uri="):]
			}},
		{name: "image", target: pipelines.DeploymentDeploy{Image: true},
			uri:  func(v string) string { return "registry.example/churn-server:" + v },
			read: func(c corev1.Container) string { return c.Image }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ns := namespace(t, c)
			servingDeployment(t, c, ns, 600)
			d, err := kube.NewDeploymentDeployer(options(t, cfg, nil))
			require.NoError(t, err)

			var log bytes.Buffer
			first, err := d.Deploy(context.Background(), deployRequest(ns, pipelines.StepDeploy, "v1", tc.uri("v1"), tc.target, &log))
			require.NoError(t, err, log.String())
			require.Equal(t, tc.uri("v0"), first.Replaced)
			require.Empty(t, first.ReplacedVersion, "v0 was not deployed by driftwatch")

			second, err := d.Deploy(context.Background(), deployRequest(ns, pipelines.StepDeploy, "v2", tc.uri("v2"), tc.target, &log))
			require.NoError(t, err, log.String())
			require.Equal(t, pipelines.Deployed{Replaced: tc.uri("v1"), ReplacedVersion: "v1"}, second)

			dep, err := c.AppsV1().Deployments(ns).Get(context.Background(), "churn-server", metav1.GetOptions{})
			require.NoError(t, err)
			require.True(t, rolledOut(dep), "Deploy returned before the rollout completed: %+v", dep.Status)
			require.Equal(t, tc.uri("v2"), tc.read(dep.Spec.Template.Spec.Containers[1]))
			require.Equal(t, "registry.example/proxy:1", dep.Spec.Template.Spec.Containers[0].Image, "other containers stay")
			require.Equal(t, "v2", dep.Annotations["driftwatch.dev/model-version"])
			require.Equal(t, tc.uri("v2"), dep.Annotations["driftwatch.dev/model-uri"])
			require.Equal(t, "v1", dep.Annotations["driftwatch.dev/replaced-model-version"])
			require.Equal(t, tc.uri("v1"), dep.Annotations["driftwatch.dev/replaced-model-uri"])
			require.Contains(t, log.String(), "rolled out: 2 of 2 replicas updated and available")

			// Deploying again (a restart during the deploy) changes nothing
			// and still knows what it replaced.
			again, err := d.Deploy(context.Background(), deployRequest(ns, pipelines.StepDeploy, "v2", tc.uri("v2"), tc.target, &log))
			require.NoError(t, err)
			require.Equal(t, second, again)
			after, err := c.AppsV1().Deployments(ns).Get(context.Background(), "churn-server", metav1.GetOptions{})
			require.NoError(t, err)
			require.Equal(t, dep.Generation, after.Generation)
		})
	}
}

// rejectBrokenModels installs an admission policy that refuses pods of the
// namespace whose environment names a broken model, so that a rollout to
// it never makes progress, and waits until the apiserver enforces it.
func rejectBrokenModels(t *testing.T, c kubernetes.Interface, ns string) {
	t.Helper()
	ctx := context.Background()
	policy := &admissionv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-broken-models"},
		Spec: admissionv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr(admissionv1.Fail),
			MatchConstraints: &admissionv1.MatchResources{ResourceRules: []admissionv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionv1.RuleWithOperations{
					Operations: []admissionv1.OperationType{admissionv1.Create},
					Rule:       admissionv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}},
				},
			}}},
			Validations: []admissionv1.Validation{{
				Expression: `!object.spec.containers.exists(c, has(c.env) && c.env.exists(e, has(e.value) && e.value.contains("broken")))`,
				Message:    "the model does not load",
			}},
		},
	}
	_, err := c.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, policy, metav1.CreateOptions{})
	require.NoError(t, err)
	binding := &admissionv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: policy.Name},
		Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName: policy.Name, ValidationActions: []admissionv1.ValidationAction{admissionv1.Deny},
			MatchResources: &admissionv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"driftwatch.dev/test": ns}}},
		},
	}
	_, err = c.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Create(ctx, binding, metav1.CreateOptions{})
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = c.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Delete(context.Background(), binding.Name, metav1.DeleteOptions{})
		_ = c.AdmissionregistrationV1().ValidatingAdmissionPolicies().Delete(context.Background(), policy.Name, metav1.DeleteOptions{})
	})
	probe := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "probe", Namespace: ns},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "x", Env: []corev1.EnvVar{{Name: "MODEL_URI", Value: "broken"}}}}},
	}
	require.Eventually(t, func() bool {
		_, err := c.CoreV1().Pods(ns).Create(ctx, probe, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err != nil
	}, waitBound, 100*time.Millisecond, "the admission policy is never enforced")
}

func TestDeploymentTargetUndoesAFailedRollout(t *testing.T) {
	t.Parallel()
	cfg, c := cluster(t)
	ns := namespace(t, c)
	rejectBrokenModels(t, c, ns)
	servingDeployment(t, c, ns, 3)
	d, err := kube.NewDeploymentDeployer(options(t, cfg, nil))
	require.NoError(t, err)
	target := pipelines.DeploymentDeploy{Env: "MODEL_URI"}
	var log bytes.Buffer
	_, err = d.Deploy(context.Background(), deployRequest(ns, pipelines.StepDeploy, "v1", "s3://models/churn/v1", target, &log))
	require.NoError(t, err, log.String())

	res, err := d.Deploy(context.Background(), deployRequest(ns, pipelines.StepDeploy, "v2", "s3://models/churn/v2-broken", target, &log))
	require.ErrorContains(t, err, "deployment "+ns+"/churn-server exceeded its progress deadline of 3s")
	require.ErrorContains(t, err, "; undone: version v1 (s3://models/churn/v1) serves again")
	require.Equal(t, pipelines.Deployed{Replaced: "s3://models/churn/v1", ReplacedVersion: "v1"}, res)

	dep, err := c.AppsV1().Deployments(ns).Get(context.Background(), "churn-server", metav1.GetOptions{})
	require.NoError(t, err)
	require.True(t, rolledOut(dep), "the undo waits for its rollout: %+v", dep.Status)
	require.Equal(t, "s3://models/churn/v1", dep.Spec.Template.Spec.Containers[1].Env[1].Value)
	require.Equal(t, "v1", dep.Annotations["driftwatch.dev/model-version"])
	require.Equal(t, "s3://models/churn/v1", dep.Annotations["driftwatch.dev/model-uri"])
	require.NotContains(t, dep.Annotations, "driftwatch.dev/replaced-model-uri")
	require.Contains(t, log.String(), "rollout failed: ")

	// A rollback that does not roll out is not undone: there is nothing
	// better to go back to.
	_, err = d.Deploy(context.Background(), deployRequest(ns, pipelines.StepRollback, "v0", "s3://models/churn/v0-broken", target, &log))
	require.ErrorContains(t, err, "exceeded its progress deadline")
	require.NotContains(t, err.Error(), "undone")
}

func TestDeploymentTargetRefuses(t *testing.T) {
	t.Parallel()
	cfg, c := cluster(t)
	ns := namespace(t, c)
	servingDeployment(t, c, ns, 600)
	d, err := kube.NewDeploymentDeployer(options(t, cfg, nil))
	require.NoError(t, err)
	tests := []struct {
		name   string
		target pipelines.DeploymentDeploy
		mutate func(*pipelines.DeployRequest)
		want   string
	}{
		{name: "no deployment", target: pipelines.DeploymentDeploy{Env: "MODEL_URI"}, mutate: func(r *pipelines.DeployRequest) { r.Config.Deployment.Name = "nope" },
			want: "permanent failure: deployment " + ns + "/nope does not exist"},
		{name: "no container", target: pipelines.DeploymentDeploy{Env: "MODEL_URI"}, mutate: func(r *pipelines.DeployRequest) { r.Config.Deployment.Container = "nope" },
			want: "permanent failure: deployment " + ns + "/churn-server: no container \"nope\" in the pod template"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			req := deployRequest(ns, pipelines.StepDeploy, "v1", "s3://models/churn/v1", tc.target, &log)
			tc.mutate(&req)
			_, err := d.Deploy(context.Background(), req)
			require.ErrorIs(t, err, pipelines.ErrPermanent)
			require.EqualError(t, err, tc.want)
		})
	}
}

func ptr[T any](v T) *T { return &v }
