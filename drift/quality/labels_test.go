package quality

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLabelSet(t *testing.T) {
	s, err := NewLabelSet("cat", "dog", "1")
	require.NoError(t, err)
	require.Equal(t, 3, s.Len())
	for i, label := range []string{"cat", "dog", "1"} {
		got, err := s.Index(label)
		require.NoError(t, err)
		require.Equal(t, i, got)
		require.Equal(t, label, s.Label(i))
	}
	_, err = s.Index("1.0")
	require.EqualError(t, err, `unknown class label "1.0"`)
}

func TestNewLabelSetErrors(t *testing.T) {
	tests := []struct {
		name    string
		labels  []string
		wantErr string
	}{
		{name: "none", wantErr: "label set: 0 labels is outside [2, 1024]"},
		{name: "one", labels: []string{"spam"}, wantErr: "label set: 1 labels is outside [2, 1024]"},
		{name: "repeated", labels: []string{"a", "b", "a"}, wantErr: `label set: label "a" at 2 repeats 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewLabelSet(tt.labels...)
			require.EqualError(t, err, tt.wantErr)
		})
	}
}
