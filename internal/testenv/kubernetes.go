package testenv

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// The harness Kubernetes cluster (scripts/kubernetes.sh): a real apiserver,
// controller-manager and scheduler on 127.0.0.1, with kwok playing the
// kubelets of two GPU nodes and one CPU node.
var (
	// Kubernetes locates the admin kubeconfig (a token user in
	// system:masters; the CA is embedded).
	Kubernetes = Service{Name: "kubernetes", Env: "DRIFTWATCH_KUBECONFIG"}
	// KubernetesURL is the apiserver's https://127.0.0.1:PORT.
	KubernetesURL = Service{Name: "kubernetes", Env: "DRIFTWATCH_KUBERNETES_URL"}
	// Kubectl is a kubectl binary of the cluster's version.
	Kubectl = Service{Name: "kubernetes", Env: "DRIFTWATCH_KUBECTL"}
)

// The fake nodes of scripts/kwok/nodes.yaml. The GPU nodes carry the label
// nvidia.com/gpu.present=true, their product in nvidia.com/gpu.product, eight
// nvidia.com/gpu and the taint nvidia.com/gpu=present:NoSchedule.
const (
	KwokGPUNodeA100 = "kwok-gpu-a100"
	KwokGPUNodeH100 = "kwok-gpu-h100"
	KwokCPUNode     = "kwok-cpu"
	GPUProductA100  = "NVIDIA-A100-SXM4-80GB"
	GPUProductH100  = "NVIDIA-H100-80GB-HBM3"
)

// Pod annotations that the harness's kwok Stages act on
// (scripts/kwok/stages/driftwatch/pod-exit.yaml). They take effect only on
// the harness cluster, where no kubelet runs containers.
const (
	// FakeExitCodeAnnotation ends every container of a running pod with this
	// decimal exit code: 0 leaves the pod Succeeded, anything else Failed.
	FakeExitCodeAnnotation = "driftwatch.dev/fake-exit-code"
	// FakeTerminationMessageAnnotation becomes state.terminated.message, cut
	// to 4096 bytes as the kubelet does.
	FakeTerminationMessageAnnotation = "driftwatch.dev/fake-termination-message"
	// FakeDurationAnnotation is how long the pod runs first (a Go duration);
	// one second when absent.
	FakeDurationAnnotation = "driftwatch.dev/fake-duration"
)

// FakePodAnnotations returns the pod-template annotations that make the
// harness cluster run a pod for d and then end it with exitCode and message.
// They also skip kwok's random start-up delay of up to ten seconds.
func FakePodAnnotations(exitCode int, message string, d time.Duration) map[string]string {
	return map[string]string{
		FakeExitCodeAnnotation:                        strconv.Itoa(exitCode),
		FakeTerminationMessageAnnotation:              message,
		FakeDurationAnnotation:                        d.String(),
		"pod-create.stage.kwok.x-k8s.io/jitter-delay": "0s",
		"pod-ready.stage.kwok.x-k8s.io/jitter-delay":  "0s",
	}
}

// RequireKubeconfig returns the path of the harness cluster's kubeconfig, or
// skips the test (fails it under CI) when the cluster is not up. A path
// that is set but names no file fails the test: the env file is stale.
func RequireKubeconfig(t testing.TB) string {
	t.Helper()
	path := Require(t, Kubernetes)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("testenv: %s=%s: %v (stale env? run `scripts/services.sh up kubernetes` and source the env file it writes)",
			Kubernetes.Env, path, err)
	}
	return path
}
