package pipelines_test

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/pipelines"
	"github.com/driftwatch/driftwatch/store"
)

func TestRegistrySeed(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	clock := newFakeClock()
	reg := pipelines.NewRegistry(db, clock.Now)

	_, ok, err := reg.Champion("churn")
	require.NoError(t, err)
	require.False(t, ok, "a model with no versions has no champion")
	_, _, err = reg.Model("churn")
	require.ErrorIs(t, err, pipelines.ErrNotFound)

	seed := pipelines.Seed{Model: "churn", Version: "v1", ModelURI: "s3://m/v1", ProfileURI: "s3://m/v1/profile.json",
		Metrics: map[string]float64{"auc": 0.8}, By: "ops", Reason: "bootstrap"}
	require.NoError(t, reg.Seed(seed))
	require.NoError(t, reg.Seed(seed), "seeding the champion again does nothing")
	seed.Version = "v0"
	require.ErrorIs(t, reg.Seed(seed), pipelines.ErrConflict)
	require.ErrorContains(t, reg.Seed(pipelines.Seed{Model: "churn", Version: "bad version"}), `version "bad version" must be`)
	require.ErrorContains(t, reg.Seed(pipelines.Seed{Model: "x", Version: "v1"}), "model URI and profile URI are required")

	m, versions, err := reg.Model("churn")
	require.NoError(t, err)
	at := clock.Now()
	want := pipelines.Model{Name: "churn", Champion: "v1", History: []pipelines.ChampionChange{{Version: "v1", At: at, Kind: pipelines.ChangeSeed, By: "ops", Reason: "bootstrap"}}}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("model (-want +got):\n%s", diff)
	}
	wantV := []pipelines.Version{{Model: "churn", Version: "v1", Reason: "bootstrap", Metrics: map[string]float64{"auc": 0.8},
		ModelURI: "s3://m/v1", ProfileURI: "s3://m/v1/profile.json", Status: pipelines.VersionChampion, CreatedAt: at, DeployedAt: at}}
	if diff := cmp.Diff(wantV, versions); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
	models, err := reg.Models()
	require.NoError(t, err)
	require.Equal(t, []pipelines.Model{want}, models)
	v, ok, err := reg.Champion("churn")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, wantV[0], v)
	_, err = reg.Version("churn", "v9")
	require.ErrorIs(t, err, pipelines.ErrNotFound)
}
