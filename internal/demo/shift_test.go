package demo

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/drift"
	"github.com/driftwatch/driftwatch/drift/quality"
)

// windows is the number of windows each test judges.
const windows = 10

// TestShiftDegradesTheChampion compares, on one large shifted holdout, the
// champion trained before the shift with a challenger retrained on the
// recent examples after it.
func TestShiftDegradesTheChampion(t *testing.T) {
	champion := fit(t, draw(DefaultTrainingRows, Baseline, 1), "v1")
	challenger := fit(t, draw(testTrainRows, Shifted, 2), "v2")
	before := auc(t, champion, draw(testHoldoutRows, Baseline, 3))
	after := auc(t, champion, draw(testHoldoutRows, Shifted, 4))
	retrained := auc(t, challenger, draw(testHoldoutRows, Shifted, 4))
	t.Logf("roc_auc: champion %.3f before the shift, %.3f after; retrained %.3f after", before, after, retrained)
	require.GreaterOrEqual(t, before-after, 0.1, "the shift must hurt the champion")
	require.GreaterOrEqual(t, retrained-after, 0.1, "retraining must recover")
}

// TestQualityAlertsAtDemoSizes judges windows of DefaultWindowEvents
// labels against the demo's quality thresholds: the champion passes before
// the shift and breaches both after it, and the retrained challenger
// passes after it.
func TestQualityAlertsAtDemoSizes(t *testing.T) {
	champion := fit(t, draw(DefaultTrainingRows, Baseline, 1), "v1")
	challenger := fit(t, draw(testTrainRows, Shifted, 2), "v2")
	tests := []struct {
		name   string
		model  *Model
		phase  Phase
		breach bool
	}{
		{"champion before the shift", champion, Baseline, false},
		{"champion after the shift", champion, Shifted, true},
		{"retrained after the shift", challenger, Shifted, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var aucs, briers []float64
			for k := range windows {
				ms, err := Metrics(tt.model, draw(DefaultWindowEvents, tt.phase, uint64(100+k)))
				require.NoError(t, err)
				aucs, briers = append(aucs, ms[quality.ROCAUC]), append(briers, ms[quality.Brier])
				require.Equal(t, tt.breach, quality.ROCAUC.Breaches(ms[quality.ROCAUC], DefaultMinROCAUC), "window %d roc_auc %.3f", k, ms[quality.ROCAUC])
				require.Equal(t, tt.breach, quality.Brier.Breaches(ms[quality.Brier], DefaultMaxBrier), "window %d brier %.3f", k, ms[quality.Brier])
			}
			t.Logf("roc_auc %.3f..%.3f, brier %.3f..%.3f", slices.Min(aucs), slices.Max(aucs), slices.Min(briers), slices.Max(briers))
		})
	}
}

// TestDriftAtDemoSizes judges windows of DefaultWindowEvents predictions
// with the demo model's drift settings: against the first champion's
// reference, baseline windows drift on nothing and shifted windows on the
// shifted features exactly; against the reference of a challenger
// retrained after the shift, shifted windows drift on nothing.
func TestDriftAtDemoSizes(t *testing.T) {
	ctx := context.Background()
	st, err := InitialState(ctx, t.TempDir(), InitialOptions{Seed: 1})
	require.NoError(t, err)
	recent := stamp(draw(testTrainRows, Shifted, 2), defaultTrainedAt)
	challenger := fit(t, recent, "v2")
	retrained, err := BuildProfile(ctx, st.Config, challenger, recent)
	require.NoError(t, err)

	tests := []struct {
		name    string
		profile *drift.Profile
		model   *Model
		phase   Phase
		want    []string
	}{
		{"baseline against the first reference", st.Profile, st.Model, Baseline, nil},
		{"shifted against the first reference", st.Profile, st.Model, Shifted, DefaultShift().Features()},
		{"shifted against the retrained reference", retrained, challenger, Shifted, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := drift.NewEvaluator(tt.profile, evaluateOptions(st.Config))
			require.NoError(t, err)
			// How close the undrifted features came to their threshold,
			// and how far above it the drifted ones were.
			closest, weakest := 0.0, math.Inf(1)
			for k := range windows {
				r, err := ev.Evaluate(window(t, tt.profile, tt.model, draw(DefaultWindowEvents, tt.phase, uint64(200+k))))
				require.NoError(t, err)
				var drifted []string
				for _, f := range r.Features {
					if f.Drift {
						drifted = append(drifted, f.Feature)
						weakest = min(weakest, f.Statistic/f.Threshold)
					} else {
						closest = max(closest, f.Statistic/f.Threshold)
					}
				}
				require.Empty(t, cmp.Diff(tt.want, drifted), "window %d", k)
				require.Equal(t, len(tt.want) > 0, r.Dataset.Drift, "window %d dataset share %.2f", k, r.Dataset.Share)
			}
			t.Logf("undrifted features reach at most %.2f of their threshold", closest)
			if len(tt.want) > 0 {
				t.Logf("drifted features reach at least %.2f times their threshold", weakest)
			}
		})
	}
}

// window feeds examples, scored by m, into a window of profile p as the
// monitor does.
func window(t *testing.T, p *drift.Profile, m *Model, examples []Example) *drift.Window {
	t.Helper()
	w, err := drift.NewWindow(p, drift.WindowOptions{Seed: 1})
	require.NoError(t, err)
	for _, e := range examples {
		for i, x := range e.Row.Num {
			w.Numeric(i).Add(x)
		}
		for i, v := range e.Row.Cat {
			w.Categorical(NumNumeric + i).Add(v)
		}
		w.PredictionCategorical().Add(m.Class(m.Predict(e.Row)))
		w.AddEvents(1)
	}
	return w
}

// evaluateOptions translates a model's drift settings as
// collectors/monitor does, where "auto" is the empty method.
func evaluateOptions(cfg collectors.ModelConfig) drift.EvaluateOptions {
	auto := func(m drift.Method) drift.Method {
		if m == collectors.MethodAuto {
			return ""
		}
		return m
	}
	return drift.EvaluateOptions{
		NumericMethod:     auto(cfg.Drift.NumericMethod),
		CategoricalMethod: auto(cfg.Drift.CategoricalMethod),
		Thresholds:        cfg.Drift.Thresholds,
		DriftShare:        cfg.Drift.DatasetShare,
		Correction:        cfg.Drift.Correction,
		PSIEpsilon:        cfg.Drift.PSIEpsilon,
		MinEvents:         int64(cfg.Window.MinEvents),
	}
}
