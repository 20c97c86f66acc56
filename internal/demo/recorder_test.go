package demo

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func ids(examples []Example) []string {
	var out []string
	for _, e := range examples {
		out = append(out, e.ID)
	}
	return out
}

func TestRecorderKeepsTheRecentExamples(t *testing.T) {
	tests := []struct {
		name        string
		added       int
		wantTrain   []string
		wantHoldout []string
	}{
		{"empty", 0, nil, nil},
		{"partly full", 6, []string{"1", "2", "3", "4", "6"}, []string{"5"}},
		{"wrapped", 23, []string{"14", "16", "17", "18", "19", "21", "22", "23"}, []string{"15", "20"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRecorder(10, 5)
			require.NoError(t, err)
			for i := range tt.added {
				r.Add(Example{ID: fmt.Sprint(i + 1)})
			}
			train, holdout := r.Split()
			require.Empty(t, cmp.Diff(tt.wantTrain, ids(train)))
			require.Empty(t, cmp.Diff(tt.wantHoldout, ids(holdout)))
			require.Equal(t, len(train)+len(holdout), r.Len())
		})
	}
}

func TestRecorderWriteFiles(t *testing.T) {
	r, err := NewRecorder(DefaultRecentRows, DefaultHoldoutEvery)
	require.NoError(t, err)
	for _, e := range stamp(draw(DefaultRecentRows+500, Shifted, 1), t0) {
		r.Add(e)
	}
	dir := t.TempDir()
	trainPath, holdoutPath := filepath.Join(dir, "data", "recent.jsonl"), filepath.Join(dir, "data", "holdout.jsonl")
	nTrain, nHoldout, err := r.WriteFiles(trainPath, holdoutPath)
	require.NoError(t, err)
	require.Equal(t, 2400, nTrain)
	require.Equal(t, 600, nHoldout)
	train, holdout := r.Split()
	gotTrain, err := ReadExamples(trainPath)
	require.NoError(t, err)
	gotHoldout, err := ReadExamples(holdoutPath)
	require.NoError(t, err)
	require.Empty(t, cmp.Diff(train, gotTrain))
	require.Empty(t, cmp.Diff(holdout, gotHoldout))
}

func TestNewRecorderErrors(t *testing.T) {
	_, err := NewRecorder(0, 5)
	require.Error(t, err)
	_, err = NewRecorder(10, 1)
	require.Error(t, err)
}
