package drift

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestVerdict(t *testing.T) {
	tests := []struct {
		name      string
		drifted   []bool
		threshold float64
		want      DatasetVerdict
	}{
		{
			name: "no drift", drifted: []bool{false, false, false}, threshold: DefaultDriftShare,
			want: DatasetVerdict{Features: 3, Drifted: 0, Share: 0, Threshold: 0.5, Drift: false},
		},
		{
			name: "exactly half drifts", drifted: []bool{true, false, true, false}, threshold: DefaultDriftShare,
			want: DatasetVerdict{Features: 4, Drifted: 2, Share: 0.5, Threshold: 0.5, Drift: true},
		},
		{
			name: "just below half", drifted: []bool{true, false, false}, threshold: DefaultDriftShare,
			want: DatasetVerdict{Features: 3, Drifted: 1, Share: 1.0 / 3, Threshold: 0.5, Drift: false},
		},
		{
			name: "all must drift", drifted: []bool{true, true, false}, threshold: 1,
			want: DatasetVerdict{Features: 3, Drifted: 2, Share: 2.0 / 3, Threshold: 1, Drift: false},
		},
		{
			name: "no features", drifted: nil, threshold: DefaultDriftShare,
			want: DatasetVerdict{Features: 0, Drifted: 0, Share: 0, Threshold: 0.5, Drift: false},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Empty(t, cmp.Diff(tt.want, Verdict(tt.drifted, tt.threshold)))
		})
	}
}

func TestValidateDriftShare(t *testing.T) {
	for _, ok := range []float64{0.01, 0.5, 1} {
		require.NoError(t, ValidateDriftShare(ok))
	}
	require.EqualError(t, ValidateDriftShare(0), "drift share 0 is outside (0, 1]")
	require.EqualError(t, ValidateDriftShare(1.5), "drift share 1.5 is outside (0, 1]")
	require.Error(t, ValidateDriftShare(nanFloat()))
	require.Panics(t, func() { Verdict([]bool{true}, 0) })
}
