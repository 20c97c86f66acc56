package pipelines_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/pipelines"
)

func TestParseResult(t *testing.T) {
	tests := []struct {
		name, step, data string
		want             pipelines.Result
		wantErr          string
	}{
		{name: "train", step: "train", data: `{"model_uri": "s3://m/1", "profile_uri": "s3://m/1/profile.json", "version": "v2", "metrics": {"loss": 0.1}}`,
			want: pipelines.Result{ModelURI: "s3://m/1", ProfileURI: "s3://m/1/profile.json", Version: "v2", Metrics: map[string]float64{"loss": 0.1}}},
		{name: "evaluate", step: "evaluate", data: `{"metrics": {"auc": 0.9}, "champion_metrics": {"auc": 0.8}}` + "\n",
			want: pipelines.Result{Metrics: map[string]float64{"auc": 0.9}, ChampionMetrics: map[string]float64{"auc": 0.8}}},
		{name: "empty", step: "train", data: " \n", wantErr: "result is empty"},
		{name: "oversized", step: "train", data: `{"model_uri": "` + strings.Repeat("x", 4096) + `"}`, wantErr: "result is larger than 4096 bytes"},
		{name: "not JSON", step: "train", data: `model=s3://m/1`, wantErr: "result is not a valid result object: invalid character 'm' looking for beginning of value"},
		{name: "trailing data", step: "evaluate", data: `{"metrics": {"auc": 0.9}} {}`, wantErr: "result has data after its JSON object"},
		{name: "unknown field", step: "evaluate", data: `{"metrics": {"auc": 0.9}, "auc": 0.9}`, wantErr: `result is not a valid result object: json: unknown field "auc"`},
		{name: "metric not a number", step: "evaluate", data: `{"metrics": {"auc": "high"}}`, wantErr: "result is not a valid result object: json: cannot unmarshal string into Go struct field Result.metrics of type float64"},
		{name: "number out of range", step: "evaluate", data: `{"metrics": {"auc": 1e999}}`, wantErr: "result is not a valid result object: json: cannot unmarshal number 1e999 into Go struct field Result.metrics of type float64"},
		{name: "train misses required fields", step: "train", data: `{"metrics": {}}`,
			wantErr: "model_uri is required\nprofile_uri is required (the reference profile of the training data)"},
		{name: "train with champion metrics and a bad version", step: "train", data: `{"model_uri": "m", "profile_uri": "p", "version": "v 2", "champion_metrics": {"auc": 1}}`,
			wantErr: "champion_metrics is reported by the evaluate step, not train\nversion \"v 2\" must be 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit"},
		{name: "evaluate without metrics", step: "evaluate", data: `{"model_uri": "m"}`,
			wantErr: "metrics is required (the challenger's metrics on the holdout)\nmodel_uri is reported by the train step, not evaluate"},
		{name: "empty metric name", step: "evaluate", data: `{"metrics": {"": 1}}`, wantErr: `metrics: "" is not a metric name (1 to 128 printable characters)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pipelines.ParseResult(tc.step, []byte(tc.data))
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}
