package pipelines_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/pipelines"
)

func TestJudge(t *testing.T) {
	higher := func(abs, rel *float64) *pipelines.ChangeThreshold {
		return &pipelines.ChangeThreshold{Direction: pipelines.HigherIsBetter, Absolute: abs, Relative: rel}
	}
	lower := func(abs, rel *float64) *pipelines.ChangeThreshold {
		return &pipelines.ChangeThreshold{Direction: pipelines.LowerIsBetter, Absolute: abs, Relative: rel}
	}
	type m = map[string]float64
	tests := []struct {
		name        string
		gate        []pipelines.GateMetric
		challenger  m
		champion    m
		hasChampion bool
		want        pipelines.Verdict
		wantErr     string
	}{
		{name: "no thresholds rejects", challenger: m{"auc": 0.99},
			want: pipelines.Verdict{Failures: []pipelines.Failure{{Check: pipelines.CheckNoThresholds, Message: "the gate has no thresholds, so every challenger is rejected"}}}},
		{name: "only change thresholds and no champion rejects", gate: []pipelines.GateMetric{{Metric: "auc", Change: higher(ptr(0), nil)}}, challenger: m{"auc": 0.99},
			want: pipelines.Verdict{Failures: []pipelines.Failure{{Check: pipelines.CheckNoThresholds,
				Message: "no threshold applies: the gate has only change thresholds and there is no champion to compare with"}}}},
		{name: "value bounds pass", gate: []pipelines.GateMetric{{Metric: "auc", Lower: ptr(0.7), Upper: ptr(1)}}, challenger: m{"auc": 0.7},
			want: pipelines.Verdict{OK: true, Checked: 2}},
		{name: "below lower", gate: []pipelines.GateMetric{{Metric: "auc", Lower: ptr(0.7)}}, challenger: m{"auc": 0.69},
			want: pipelines.Verdict{Checked: 1, Failures: []pipelines.Failure{{Metric: "auc", Check: pipelines.CheckLower, Threshold: 0.7, Value: 0.69, Message: "auc 0.69 is below the lower bound 0.7"}}}},
		{name: "above upper", gate: []pipelines.GateMetric{{Metric: "log_loss", Upper: ptr(0.6)}}, challenger: m{"log_loss": 0.61},
			want: pipelines.Verdict{Checked: 1, Failures: []pipelines.Failure{{Metric: "log_loss", Check: pipelines.CheckUpper, Threshold: 0.6, Value: 0.61, Message: "log_loss 0.61 is above the upper bound 0.6"}}}},
		{name: "no champion: value thresholds only", gate: []pipelines.GateMetric{{Metric: "auc", Lower: ptr(0.7), Change: higher(ptr(0.05), nil)}}, challenger: m{"auc": 0.71},
			want: pipelines.Verdict{OK: true, Checked: 1}},
		{name: "small loss allowed exactly at the threshold", gate: []pipelines.GateMetric{{Metric: "auc", Change: higher(ptr(-0.005), nil)}},
			challenger: m{"auc": 0.795}, champion: m{"auc": 0.8}, hasChampion: true, want: pipelines.Verdict{OK: true, Checked: 1}},
		{name: "absolute higher is better", gate: []pipelines.GateMetric{{Metric: "auc", Change: higher(ptr(0.01), nil)}},
			challenger: m{"auc": 0.805}, champion: m{"auc": 0.8}, hasChampion: true,
			want: pipelines.Verdict{Checked: 1, Failures: []pipelines.Failure{{Metric: "auc", Check: pipelines.CheckChangeAbsolute, Threshold: 0.01, Value: 0.805, Champion: ptr(0.8)}}}},
		{name: "absolute lower is better", gate: []pipelines.GateMetric{{Metric: "rmse", Change: lower(ptr(0.1), nil)}},
			challenger: m{"rmse": 9.8}, champion: m{"rmse": 10}, hasChampion: true, want: pipelines.Verdict{OK: true, Checked: 1}},
		{name: "lower is better gets worse", gate: []pipelines.GateMetric{{Metric: "rmse", Change: lower(ptr(0), nil)}},
			challenger: m{"rmse": 10.5}, champion: m{"rmse": 10}, hasChampion: true,
			want: pipelines.Verdict{Checked: 1, Failures: []pipelines.Failure{{Metric: "rmse", Check: pipelines.CheckChangeAbsolute, Threshold: 0, Value: 10.5, Champion: ptr(10)}}}},
		{name: "relative improvement met", gate: []pipelines.GateMetric{{Metric: "log_loss", Change: lower(nil, ptr(0.02))}},
			challenger: m{"log_loss": 0.49}, champion: m{"log_loss": 0.5}, hasChampion: true, want: pipelines.Verdict{OK: true, Checked: 1}},
		{name: "relative improvement missed", gate: []pipelines.GateMetric{{Metric: "log_loss", Change: lower(nil, ptr(0.02))}},
			challenger: m{"log_loss": 0.495}, champion: m{"log_loss": 0.5}, hasChampion: true,
			want: pipelines.Verdict{Checked: 1, Failures: []pipelines.Failure{{Metric: "log_loss", Check: pipelines.CheckChangeRelative, Threshold: 0.02, Value: 0.495, Champion: ptr(0.5)}}}},
		{name: "relative against a champion of zero", gate: []pipelines.GateMetric{{Metric: "bias", Change: higher(nil, ptr(0.1))}},
			challenger: m{"bias": 0}, champion: m{"bias": 0}, hasChampion: true, want: pipelines.Verdict{OK: true, Checked: 1}},
		{name: "every failure is listed", gate: []pipelines.GateMetric{
			{Metric: "auc", Lower: ptr(0.9), Change: higher(ptr(0), ptr(0))},
			{Metric: "log_loss", Upper: ptr(0.2)},
		}, challenger: m{"auc": 0.7, "log_loss": 0.3}, champion: m{"auc": 0.8, "log_loss": 0.25}, hasChampion: true,
			want: pipelines.Verdict{Checked: 4, Failures: []pipelines.Failure{
				{Metric: "auc", Check: pipelines.CheckLower, Threshold: 0.9, Value: 0.7},
				{Metric: "auc", Check: pipelines.CheckChangeAbsolute, Threshold: 0, Value: 0.7, Champion: ptr(0.8)},
				{Metric: "auc", Check: pipelines.CheckChangeRelative, Threshold: 0, Value: 0.7, Champion: ptr(0.8)},
				{Metric: "log_loss", Check: pipelines.CheckUpper, Threshold: 0.2, Value: 0.3},
			}}},
		{name: "metric missing from the challenger", gate: []pipelines.GateMetric{{Metric: "auc", Lower: ptr(0.7)}}, challenger: m{"accuracy": 0.9},
			wantErr: `metric "auc" of the gate is missing from the evaluate step's metrics`},
		{name: "metric missing from the champion", gate: []pipelines.GateMetric{{Metric: "auc", Change: higher(ptr(0), nil)}},
			challenger: m{"auc": 0.9}, champion: m{}, hasChampion: true,
			wantErr: `metric "auc" of the gate is missing from the evaluate step's champion_metrics`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pipelines.Judge(pipelines.GateConfig{Metrics: tc.gate}, tc.challenger, tc.champion, tc.hasChampion)
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			// Messages are checked where they are written out in full.
			ignore := cmpopts.IgnoreFields(pipelines.Failure{}, "Message")
			if tc.want.Failures != nil && tc.want.Failures[0].Message != "" {
				ignore = cmpopts.IgnoreFields(pipelines.Failure{})
			}
			if diff := cmp.Diff(tc.want, got, ignore); diff != "" {
				t.Errorf("verdict (-want +got):\n%s", diff)
			}
		})
	}
}
