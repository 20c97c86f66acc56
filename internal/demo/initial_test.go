package demo

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/internal/app/reference"
)

func TestInitialState(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := InitialState(ctx, dir, InitialOptions{Seed: 1})
	require.NoError(t, err)
	require.NoError(t, st.Config.Validate())
	require.Equal(t, InitialVersion, st.Model.Version)
	require.Equal(t, st.Config.Version, st.Model.Version)

	// The configuration's reference is the profile written, and the
	// monitor loads it as it is.
	loaded, err := reference.Load(ctx, st.Config, time.Time{})
	require.NoError(t, err)
	want, err := st.Profile.Encode()
	require.NoError(t, err)
	got, err := loaded.Encode()
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
	require.Equal(t, int64(DefaultTrainingRows), loaded.Rows)
	require.NotNil(t, loaded.Prediction)
	require.Equal(t, InitialVersion, loaded.ModelVersion)
	require.Equal(t, defaultTrainedAt, loaded.CreatedAt)

	champion, err := ReadModel(st.ModelPath)
	require.NoError(t, err)
	require.Equal(t, st.Model.Intercept, champion.Intercept)
	training, err := ReadExamples(st.TrainingPath)
	require.NoError(t, err)
	require.Len(t, training, DefaultTrainingRows)

	// The same options write the same files.
	again, err := InitialState(ctx, t.TempDir(), InitialOptions{Seed: 1})
	require.NoError(t, err)
	for _, pair := range [][2]string{{st.ModelPath, again.ModelPath}, {st.ProfilePath, again.ProfilePath}, {st.TrainingPath, again.TrainingPath}} {
		a, err := os.ReadFile(pair[0])
		require.NoError(t, err)
		b, err := os.ReadFile(pair[1])
		require.NoError(t, err)
		require.Equal(t, string(a), string(b), pair[0])
	}
}

// BenchmarkInitialState times the demo's start: drawing 4,000 examples,
// fitting the first champion, profiling and writing.
func BenchmarkInitialState(b *testing.B) {
	dir := b.TempDir()
	for b.Loop() {
		if _, err := InitialState(context.Background(), dir, InitialOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
