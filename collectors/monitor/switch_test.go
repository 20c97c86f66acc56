package monitor

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors"
)

// TestSwitch retrains a model on shifted data: against the old profile
// the shifted feature drifts; after the switch to the new version and the
// profile of its training data, it does not, and the new version's windows
// are counted apart from the old one's.
func TestSwitch(t *testing.T) {
	md := model{numeric: 2, categorical: 1}
	shift := map[int]float64{0: 1}
	cfg := withLabels(md.config(), 1)
	cfg.Version = "v1"
	cfg.Window = collectors.WindowConfig{Size: time.Minute, AllowedLateness: 10 * time.Second, MinEvents: 50}
	h := setup(t, cfg, md.profile(t, 1000, 1), Options{DisableIdleClose: true})
	g := newGen(md, 5, shift)

	// One full window and half of the next, all shifted: the first window
	// drifts on n0.
	for i := range 900 {
		ts := at(time.Duration(i) * 100 * time.Millisecond)
		require.Equal(t, Accepted, h.Observe(g.prediction(id(i), ts), pos("p", int64(i))))
	}
	h.sync(t)
	s := h.snap(t)
	require.Equal(t, "v1", s.Version)
	require.Equal(t, "v1", s.DriftVersion)
	require.Equal(t, 1, s.Drift.Dataset.Drifted, "n0 drifts against the v1 profile")

	// A bad profile changes nothing.
	require.ErrorContains(t, h.Switch("v2", model{numeric: 1, categorical: 1}.profile(t, 100, 1)),
		`switch model "churn" to version v2: the profile has 2 features, the configuration 3`)
	require.ErrorContains(t, h.Switch("", md.profile(t, 100, 1)), "the version is empty")
	require.Equal(t, "v1", h.Version())

	require.NoError(t, h.Switch("v2", md.shiftedProfile(t, 1000, 2, shift)))
	require.Equal(t, "v2", h.Version())
	h.sync(t)
	s = h.snap(t)
	require.Equal(t, "v2", s.Version)
	require.Equal(t, "v1", s.DriftVersion, "the partial window open at the switch is the old version's")
	require.Equal(t, uint64(2), s.Windows(DriftWindow, WindowEvaluated))
	require.Zero(t, s.VersionWindows(DriftWindow))

	// Events of the same minute as the partial window are not late: they
	// open a window of the new version, which does not drift against the
	// new profile.
	for i := 900; i < 1900; i++ {
		ts := at(time.Duration(i) * 100 * time.Millisecond)
		require.Equal(t, Accepted, h.Observe(g.prediction(id(i), ts), pos("p", int64(i))))
	}
	h.flush(t)
	s = h.snap(t)
	require.Equal(t, "v2", s.DriftVersion)
	require.Equal(t, uint64(3), s.VersionWindows(DriftWindow))
	require.Zero(t, s.Drift.Dataset.Drifted, "n0 no longer drifts against the v2 profile")

	// Predictions made before the switch find their labels, but are not
	// paired for v2's quality; nor are predictions that name v1.
	old := g.prediction("old-version", at(250*time.Second))
	old.ModelVersion = []byte("v1")
	require.Equal(t, Accepted, h.Observe(old, pos("p", 1900)))
	for _, lbl := range []string{id(5), id(1000), "old-version"} {
		require.Equal(t, Accepted, h.Observe(labelEvent(lbl, at(260*time.Second), "yes"), pos("l", 0)))
	}
	h.flush(t)
	s = h.snap(t)
	require.Equal(t, uint64(2), s.Joins(JoinOtherVersion), "the labels of v1's predictions")
	require.Equal(t, uint64(1), s.Joins(JoinJoined), "the label of v2's prediction")
	require.Equal(t, uint64(1), s.WindowEvents(QualityWindow))
	require.Equal(t, "v2", s.QualityVersion)
}
