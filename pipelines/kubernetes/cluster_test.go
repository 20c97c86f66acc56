package kubernetes_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/driftwatch/driftwatch/internal/testenv"
	"github.com/driftwatch/driftwatch/pipelines"
	kube "github.com/driftwatch/driftwatch/pipelines/kubernetes"
)

// The tests here run against the harness cluster of scripts/kubernetes.sh:
// a real apiserver, controller-manager and scheduler, with kwok playing
// the kubelets of two GPU nodes and a CPU node. Each test works in a
// namespace of its own. Bounds on waits only keep a broken test from
// hanging; nothing is timed.

// waitBound bounds every wait of these tests.
const waitBound = 2 * time.Minute

// cluster returns the harness cluster's client config and a typed client,
// or skips the test (fails it under CI) when the cluster is not up.
func cluster(t *testing.T) (*rest.Config, kubernetes.Interface) {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", testenv.RequireKubeconfig(t))
	require.NoError(t, err)
	c, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	return cfg, c
}

// namespace creates a namespace for the test, deleted when it ends.
func namespace(t *testing.T, c kubernetes.Interface) string {
	t.Helper()
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	name = fmt.Sprintf("dw-%.40s-%06d", strings.Trim(name, "-"), rand.IntN(1_000_000))
	name = strings.ReplaceAll(name, "--", "-")
	_, err := c.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: name, Labels: map[string]string{"driftwatch.dev/test": name},
	}}, metav1.CreateOptions{})
	require.NoError(t, err)
	t.Cleanup(func() {
		err := c.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting namespace %s: %v", name, err)
		}
	})
	return name
}

// script is what the fake kubelets do with the pods of each step: the pod
// annotations of testenv.FakePodAnnotations, by StepSpec.Step.
type script map[string]map[string]string

func (s script) annotations(spec pipelines.StepSpec) map[string]string { return s[spec.Step] }

// options are the Options of the tests: quick polls, the test's log, and
// the script's pod annotations.
func options(t *testing.T, cfg *rest.Config, sc script) kube.Options {
	return kube.Options{
		Config: cfg, Logger: slog.New(slog.NewTextHandler(testLog{t}, nil)),
		PollInterval: 250 * time.Millisecond, CleanupTimeout: waitBound, PodAnnotations: sc.annotations,
	}
}

// stepSpec is a rendered step of the tests, as the Runner would hand it
// to the executor.
func stepSpec(t *testing.T, ns, run, step string) pipelines.StepSpec {
	s := pipelines.StepSpec{
		Name: fmt.Sprintf("%s-%s-1", run, step), RunID: run, Model: "churn", Pipeline: "churn-retrain", Step: step, Attempt: 1,
		Image: "registry.example/churn-" + step + ":1", Command: []string{"python", "-m", step},
		Env:     map[string]string{"DRIFTWATCH_RUN_ID": run, "DRIFTWATCH_STEP": step},
		Timeout: time.Hour, LogPath: filepath.Join(t.TempDir(), step+"-1.log"), WantResult: true,
	}
	s.Kubernetes.SetDefaults()
	s.Kubernetes.Namespace = ns
	return s
}

// phases records what an executor reports through StepSpec.Progress.
type phases struct {
	mu  sync.Mutex
	got []pipelines.AttemptPhase
	msg []string
}

func (p *phases) record(phase pipelines.AttemptPhase, msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, phase)
	p.msg = append(p.msg, msg)
}

func (p *phases) seen(phase pipelines.AttemptPhase) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, g := range p.got {
		if g == phase {
			return true
		}
	}
	return false
}

func (p *phases) all() ([]pipelines.AttemptPhase, []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]pipelines.AttemptPhase(nil), p.got...), append([]string(nil), p.msg...)
}

func readLog(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

// testLog sends the executor's log to the test's log.
type testLog struct{ t *testing.T }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
