package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// endTB records how a helper ends a test (skip or fatal) without ending the
// real one. Like the testing package, it stops the calling goroutine.
type endTB struct {
	testing.TB
	skipped, failed string
}

func (e *endTB) Helper() {}

func (e *endTB) Skip(args ...any) {
	e.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}

func (e *endTB) Fatal(args ...any) {
	e.failed = fmt.Sprint(args...)
	runtime.Goexit()
}

func (e *endTB) Fatalf(format string, args ...any) {
	e.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// runEnding calls fn on its own goroutine, so that a skip or fatal ends only
// that goroutine, and returns what fn returned, if it returned.
func runEnding(t *testing.T, fn func(testing.TB) string) (got string, e *endTB) {
	e = &endTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		got = fn(e)
	}()
	<-done
	return got, e
}

func TestRequireKubeconfig(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(kubeconfig, []byte("apiVersion: v1\nkind: Config\n"), 0o600))
	missing := filepath.Join(t.TempDir(), "gone")

	for _, tc := range []struct {
		name, env, ci        string
		want                 string
		wantSkip, wantFailed []string
	}{
		{name: "set", env: kubeconfig, want: kubeconfig},
		{name: "set under CI", env: kubeconfig, ci: "true", want: kubeconfig},
		{
			name:     "unset skips",
			wantSkip: []string{"DRIFTWATCH_KUBECONFIG is not set", "scripts/services.sh up kubernetes"},
		},
		{
			name: "unset fails under CI", ci: "true",
			wantFailed: []string{"DRIFTWATCH_KUBECONFIG is not set", "scripts/services.sh up kubernetes", "CI=true"},
		},
		{
			name: "stale path fails", env: missing,
			wantFailed: []string{"DRIFTWATCH_KUBECONFIG=" + missing, "scripts/services.sh up kubernetes"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("DRIFTWATCH_KUBECONFIG", tc.env)
			t.Setenv("CI", tc.ci)
			got, e := runEnding(t, RequireKubeconfig)
			require.Equal(t, tc.want, got)
			requireContainsAll(t, e.skipped, tc.wantSkip)
			requireContainsAll(t, e.failed, tc.wantFailed)
		})
	}
}

func requireContainsAll(t *testing.T, got string, want []string) {
	t.Helper()
	if len(want) == 0 {
		require.Empty(t, got)
		return
	}
	for _, w := range want {
		require.Contains(t, got, w)
	}
}

// TestKubernetesEnvExported checks that scripts/kubernetes.sh exports every
// variable these Services read, so a renamed variable fails here rather than
// skipping tests.
func TestKubernetesEnvExported(t *testing.T) {
	script, err := os.ReadFile(filepath.Join("..", "..", "scripts", "kubernetes.sh"))
	require.NoError(t, err)
	for _, s := range []Service{Kubernetes, KubernetesURL, Kubectl} {
		require.Equal(t, "kubernetes", s.Name, "services.sh up takes the service name")
		require.Contains(t, string(script), "dw_export "+s.Env+" ", "%s is not exported by scripts/kubernetes.sh", s.Env)
	}
}
