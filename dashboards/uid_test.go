package dashboards

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var validUID = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,40}$`)

// TestModelUID checks the UIDs of short and long names; the hashes are
// sha256sum's, printed by the shell.
func TestModelUID(t *testing.T) {
	long := strings.Repeat("a", 63)
	tests := []struct {
		name, model, want string
	}{
		{name: "short", model: "credit-risk", want: "driftwatch-m-credit-risk"},
		{name: "fits exactly", model: strings.Repeat("x", 27), want: "driftwatch-m-" + strings.Repeat("x", 27)},
		{name: "one too long", model: strings.Repeat("x", 28), want: "driftwatch-m-" + strings.Repeat("x", 18) + "-f3b43939"},
		{name: "longest name", model: long, want: "driftwatch-m-" + strings.Repeat("a", 18) + "-7d3e74a0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ModelUID(tc.model)
			require.Equal(t, tc.want, got)
			require.Regexp(t, validUID, got)
			require.Equal(t, got, ModelUID(tc.model), "the same every time")
		})
	}
	require.NotEqual(t, ModelUID(long), ModelUID(long[:62]+"b"), "long names that share a start")
	require.NotEqual(t, FleetUID, ModelUID("fleet"))
}

func TestSpread(t *testing.T) {
	tests := []struct {
		n    int
		want []uint32
	}{
		{1, []uint32{24}}, {4, []uint32{6, 6, 6, 6}}, {5, []uint32{5, 5, 5, 5, 4}}, {7, []uint32{4, 4, 4, 3, 3, 3, 3}},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, spread(tc.n), "n=%d", tc.n)
	}
}
