package loop

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestLoopCloses plays the demo at four times its speed with a freshly
// built driftwatch binary, whose demo step commands run the pipeline's
// steps, and checks that the loop closed and the timeline tells each part.
func TestLoopCloses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the driftwatch binary and plays the demo")
	}
	bin := filepath.Join(t.TempDir(), "driftwatch")
	build := exec.Command("go", "build", "-o", bin, "github.com/driftwatch/driftwatch/cmd/driftwatch")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	var timeline bytes.Buffer
	dir := t.TempDir()
	err = Run(context.Background(), Options{Dir: dir, Speed: 4, Seed: 1, Executable: bin, Out: &timeline})
	require.NoError(t, err, "timeline:\n%s", timeline.String())
	for _, want := range []string{
		"the world shifts",
		"drift: 3 of 12 features drifted against v1's training data (employment, income, utilization)",
		"quality: v1 falls behind",
		"fired → run",
		"the gate passes the challenger",
		"the model server now serves v2-",
		"drift resolved: no feature drifts against v2-",
		"quality recovered with v2-",
		"the loop closed",
	} {
		require.Contains(t, timeline.String(), want, "timeline:\n%s", timeline.String())
	}
	require.Equal(t, 1, strings.Count(timeline.String(), "fired → run"), "one run: %s", timeline.String())
}

// TestLoopReportsWhatIsMissing gives the demo too little time: it fails
// and says how far the loop got.
func TestLoopReportsWhatIsMissing(t *testing.T) {
	var timeline bytes.Buffer
	err := Run(context.Background(), Options{Dir: t.TempDir(), Speed: 8, Timeout: 8 * time.Second, Executable: "/nonexistent/driftwatch", Out: &timeline})
	require.ErrorContains(t, err, "the loop did not close in 1s: no drift or decay was detected after the shift")
	require.Contains(t, timeline.String(), "time is up")
}
