package dashboards_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/dashboards"
)

// TestGolden compares the dashboards generated for the example
// configuration with testdata/golden; go test -update rewrites them.
func TestGolden(t *testing.T) {
	ds := generate(t, exampleConfig)
	var uids []string
	for _, d := range ds {
		uids = append(uids, d.UID)
		t.Run(d.UID, func(t *testing.T) {
			path := filepath.Join("testdata", "golden", d.UID+".json")
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				require.NoError(t, os.WriteFile(path, d.JSON, 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err)
			if diff := cmp.Diff(string(want), string(d.JSON)); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
			}
		})
	}
	require.Equal(t, []string{dashboards.FleetUID, "driftwatch-m-credit-risk", "driftwatch-m-demand-forecast"}, uids)
}
