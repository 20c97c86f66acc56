package pipelines_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/pipelines"
)

// TestPodAnnotationsAreRenderedPerAttempt gives the kubernetes executor
// each attempt's pod annotations rendered over the run, and leaves the
// pipeline's templates as they are.
func TestPodAnnotationsAreRenderedPerAttempt(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	got := map[string]map[string]string{}
	profile := filepath.Join(t.TempDir(), "profile.json")
	require.NoError(t, os.WriteFile(profile, []byte("{}"), 0o644))
	templates := map[string]string{
		"example.com/cost-center": "risk",
		"example.com/attempt":     "{{.Model}}/{{.RunID}}/{{.Step}}/{{.Attempt}}",
		"example.com/challenger":  `{{if eq .Step "evaluate"}}{{.Challenger.Version}}{{end}}`,
	}
	fake := pipelines.ExecutorFunc(func(_ context.Context, s pipelines.StepSpec) (pipelines.StepOutcome, error) {
		mu.Lock()
		got[s.Step] = s.Kubernetes.PodAnnotations
		mu.Unlock()
		result := `{"metrics":{"auc":0.9}}`
		if s.Step == pipelines.StepTrain {
			result = fmt.Sprintf(`{"model_uri":"s3://models/churn/v2","version":"v2","profile_uri":%q}`, profile)
		}
		return pipelines.StepOutcome{ExitCode: 0, Result: []byte(result)}, nil
	})
	h := newHarness(t, "", "", func(p *pipelines.Pipeline) {
		p.Executor = pipelines.ExecutorKubernetes
		p.Steps.Train.Image, p.Steps.Evaluate.Image = "train:1", "evaluate:1"
		p.Kubernetes.PodAnnotations = templates
		p.Verify.Period = 0
	}, func(o *pipelines.Options) {
		o.Executors[pipelines.ExecutorKubernetes] = fake
	}).start()
	h.submit("run-1", nil)
	run := h.waitEnd("run-1")
	require.Equal(t, pipelines.StateSucceeded, run.State, run.Error)

	want := map[string]map[string]string{
		pipelines.StepTrain: {
			"example.com/cost-center": "risk", "example.com/attempt": "churn/run-1/train/1", "example.com/challenger": "",
		},
		pipelines.StepEvaluate: {
			"example.com/cost-center": "risk", "example.com/attempt": "churn/run-1/evaluate/1", "example.com/challenger": "v2",
		},
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pod annotations (-want +got):\n%s", diff)
	}
	require.Equal(t, "{{.Model}}/{{.RunID}}/{{.Step}}/{{.Attempt}}", templates["example.com/attempt"], "the templates stay")
}
