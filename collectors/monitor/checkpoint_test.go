package monitor

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestFileCheckpointerRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		cp   Checkpoint
	}{
		{name: "empty", cp: Checkpoint{}},
		{name: "time windows", cp: Checkpoint{
			Drift:   Mark{ClosedUntil: time.Date(2026, 3, 14, 9, 15, 0, 0, time.UTC)},
			Quality: Mark{ClosedUntil: time.Date(2026, 3, 13, 23, 0, 0, 123, time.UTC)},
		}},
		{name: "count windows", cp: Checkpoint{
			Drift:   Mark{Through: map[string]int64{"churn-predictions/0": 1200, "churn-predictions/1": 7}},
			Quality: Mark{Through: map[string]int64{"churn-labels/0": 31}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			c, err := NewFileCheckpointer(dir)
			require.NoError(t, err)
			_, ok, err := c.Load(ctx, "churn")
			require.NoError(t, err)
			require.False(t, ok, "no checkpoint before the first Save")

			require.NoError(t, c.Save(ctx, "churn", Checkpoint{Drift: Mark{ClosedUntil: t0}}))
			require.NoError(t, c.Save(ctx, "churn", tc.cp))
			got, ok, err := c.Load(ctx, "churn")
			require.NoError(t, err)
			require.True(t, ok)
			if diff := cmp.Diff(tc.cp, got); diff != "" {
				t.Errorf("loaded checkpoint (-want +got):\n%s", diff)
			}
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Len(t, entries, 1, "no temporary file is left behind")
			require.Equal(t, "churn.checkpoint.json", entries[0].Name())
		})
	}
}

func TestFileCheckpointerRejects(t *testing.T) {
	for _, tc := range []struct {
		name, content, want string
	}{
		{"another model", `{"version": 1, "model": "fraud"}`, `belongs to model "fraud", not "churn"`},
		{"another version", `{"version": 2, "model": "churn"}`, "version 2 is not supported"},
		{"a torn file", `{"version": 1, "mod`, "unexpected end of JSON input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "churn.checkpoint.json"), []byte(tc.content), 0o644))
			c, err := NewFileCheckpointer(dir)
			require.NoError(t, err)
			_, _, err = c.Load(context.Background(), "churn")
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestCheckpointSavedOnlyWhenItMoves(t *testing.T) {
	md := model{numeric: 1, categorical: 1}
	cp := NewMemoryCheckpointer()
	h := setup(t, md.config(), md.profile(t, 500, 1), Options{Checkpointer: cp})
	g := newGen(md, 2, nil)
	h.Observe(g.prediction("a", at(0)), pos("A", 0))
	require.Equal(t, map[string]int64{"A": 0}, h.sync(t))

	// A broken disk does not matter while the closed-until mark stays.
	cp.SetErr(os.ErrPermission)
	h.Observe(g.prediction("b", at(time.Second)), pos("A", 1))
	require.Equal(t, map[string]int64{"A": 0}, h.sync(t))

	// Closing [0, 1m) moves it.
	h.Observe(g.prediction("c", at(80*time.Second)), pos("A", 2))
	_, err := h.Sync(context.Background())
	require.ErrorIs(t, err, os.ErrPermission)
}
