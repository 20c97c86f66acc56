package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/internal/app/reference"
)

// TestSwitch moves a replayed model to a new version and the profile of
// its training data, through the app, as the pipeline runner does after a
// deploy.
func TestSwitch(t *testing.T) {
	cfg := replayConfig(t)
	opts := testOptions(cfg, nil)
	a, err := New(opts)
	require.NoError(t, err)
	require.NoError(t, a.Start(t.Context()))
	t.Cleanup(func() { require.NoError(t, a.Stop(context.Background())) })
	require.Eventually(t, func() bool {
		v, _ := gauge(t, opts.Registry, "driftwatch_source_replay_finished", map[string]string{"model": "credit-risk"})
		return v == 1
	}, 10*time.Second, 10*time.Millisecond)

	m := resolvePaths(cfg.Models[0], configDir)
	p, err := reference.Load(t.Context(), m, time.Now())
	require.NoError(t, err)
	data, err := p.Encode()
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "v2.profile.json")
	require.NoError(t, os.WriteFile(path, data, 0o644))

	for _, tc := range []struct {
		name, model, uri, wantErr string
	}{
		{name: "unknown model", model: "nope", uri: path, wantErr: `switch model "nope": no such model`},
		{name: "another scheme", model: "credit-risk", uri: "s3://bucket/p.json", wantErr: "only file paths and file:// URLs can be read, not s3://"},
		{name: "missing file", model: "credit-risk", uri: path + ".missing", wantErr: "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorContains(t, a.Switch(t.Context(), tc.model, "v2", tc.uri), tc.wantErr)
		})
	}
	require.NoError(t, a.Switch(t.Context(), "credit-risk", "v2", "file://"+path))
	s, ok := a.store.Snapshot("credit-risk")
	require.True(t, ok)
	require.Equal(t, "v2", s.Version)
}
