package quality

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestMetricValidate(t *testing.T) {
	want := "(want one of accuracy, precision, recall, f1, precision_macro, recall_macro, f1_macro, " +
		"roc_auc, log_loss, brier, mae, rmse, mape, r2)"
	tests := []struct {
		name    string
		metric  Metric
		wantErr string
	}{
		{name: "known", metric: F1Macro},
		{name: "empty", metric: "", wantErr: "metric is required " + want},
		{name: "unknown", metric: "auc", wantErr: `unknown metric "auc" ` + want},
		{name: "case matters", metric: "Accuracy", wantErr: `unknown metric "Accuracy" ` + want},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.metric.Validate()
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tt.wantErr)
		})
	}
}

func TestMetricProperties(t *testing.T) {
	type props struct {
		Kind           Kind
		Classification bool
		HigherIsBetter bool
		Lo, Hi         float64
	}
	inf := math.Inf(1)
	want := map[Metric]props{
		Accuracy:       {LabelKind, true, true, 0, 1},
		Precision:      {LabelKind, true, true, 0, 1},
		Recall:         {LabelKind, true, true, 0, 1},
		F1:             {LabelKind, true, true, 0, 1},
		PrecisionMacro: {LabelKind, true, true, 0, 1},
		RecallMacro:    {LabelKind, true, true, 0, 1},
		F1Macro:        {LabelKind, true, true, 0, 1},
		ROCAUC:         {ScoreKind, true, true, 0, 1},
		LogLoss:        {ScoreKind, true, false, 0, inf},
		Brier:          {ScoreKind, true, false, 0, 1},
		MAE:            {RegressionKind, false, false, 0, inf},
		RMSE:           {RegressionKind, false, false, 0, inf},
		MAPE:           {RegressionKind, false, false, 0, inf},
		R2:             {RegressionKind, false, true, -inf, 1},
	}
	got := map[Metric]props{}
	for _, m := range Metrics() {
		require.NoError(t, m.Validate())
		lo, hi := m.Bounds()
		got[m] = props{m.Kind(), m.Kind().Classification(), m.HigherIsBetter(), lo, hi}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metric properties (-want +got):\n%s", diff)
	}
	require.Equal(t, Kind(""), Metric("nope").Kind())
}

func TestMetricBreaches(t *testing.T) {
	tests := []struct {
		name             string
		metric           Metric
		value, threshold float64
		want             bool
	}{
		{name: "accuracy below", metric: Accuracy, value: 0.79, threshold: 0.8, want: true},
		{name: "accuracy above", metric: Accuracy, value: 0.81, threshold: 0.8},
		{name: "accuracy equal", metric: Accuracy, value: 0.8, threshold: 0.8},
		{name: "r2 negative", metric: R2, value: -3, threshold: 0.5, want: true},
		{name: "rmse above", metric: RMSE, value: 2.5, threshold: 2, want: true},
		{name: "rmse below", metric: RMSE, value: 1.5, threshold: 2},
		{name: "log loss equal", metric: LogLoss, value: 0.7, threshold: 0.7},
		{name: "nan score", metric: ROCAUC, value: math.NaN(), threshold: 0.6, want: true},
		{name: "nan loss", metric: Brier, value: math.NaN(), threshold: 0.2, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.metric.Breaches(tt.value, tt.threshold))
		})
	}
}

func TestMetricValidateThreshold(t *testing.T) {
	tests := []struct {
		name      string
		metric    Metric
		threshold float64
		wantErr   string
	}{
		{name: "accuracy inside", metric: Accuracy, threshold: 0.9},
		{name: "accuracy bound", metric: Accuracy, threshold: 1},
		{name: "accuracy above one", metric: Accuracy, threshold: 90, wantErr: "threshold 90 for accuracy is outside [0, 1]"},
		{name: "r2 negative", metric: R2, threshold: -0.5},
		{name: "mape large", metric: MAPE, threshold: 12},
		{name: "mae negative", metric: MAE, threshold: -1, wantErr: "threshold -1 for mae is outside [0, +Inf]"},
		{name: "nan", metric: Brier, threshold: math.NaN(), wantErr: "threshold NaN for brier is outside [0, 1]"},
		{name: "infinite", metric: RMSE, threshold: math.Inf(1), wantErr: "threshold +Inf for rmse is outside [0, +Inf]"},
		{name: "unknown metric", metric: "gini", threshold: 0.5, wantErr: `unknown metric "gini"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.metric.ValidateThreshold(tt.threshold)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}
