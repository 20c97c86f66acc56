package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/config/field"
	"github.com/driftwatch/driftwatch/drift"
)

const fixtures = "../../testdata/config"

func TestGoodFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixtures, "*.good.yaml"))
	require.NoError(t, err)
	files = append(files, filepath.Join(fixtures, "example.yaml"))
	require.GreaterOrEqual(t, len(files), 5)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, err := Load(f)
			require.NoError(t, err)
		})
	}
}

// TestBadFixtures pairs every *.bad.yaml fixture with the exact problems it
// must produce.
func TestBadFixtures(t *testing.T) {
	tests := map[string][]string{
		"unknown-field.bad.yaml": {
			`2:5: models[0].window.size: set size (a duration such as 15m) or count (events per window)`,
			`4:9: models[0].features[0].type: feature type is required (want numeric or categorical)`,
			`4:24: models[0].features[0].tpye: unknown field "tpye" (did you mean "type"?)`,
			`8:5: models[0].windw: unknown field "windw" (did you mean "window"?)`,
		},
		"feature-type.bad.yaml": {
			`9:9: models[0].features[2].type: unknown type "floatt" (want numeric or categorical)`,
		},
		"wrong-types.bad.yaml": {
			`3:15: models[0].features: want a list, got a mapping`,
			`5:22: models[0].label.enabled: want true or false, got "yes"`,
			`5:42: models[0].label.max_entries: want a whole number, got "lots"`,
			`7:40: models[0].reference.bins: want a whole number, got "2.5"`,
			`8:20: models[0].window.size: invalid duration "15" (want a number with a unit, such as 90s, 15m or 6h)`,
		},
		"inline-secret.bad.yaml": {
			`3:19: server.auth.bearer_token: want a mapping, got "hunter2": secrets are never written inline: use {env: VARIABLE} or {file: PATH}`,
		},
		"references.bad.yaml": {
			`11:7: triggers.rules[0].pipeline: unknown pipeline "churn-retrian" (defined pipelines: churn-retrain)`,
			`16:5: pipelines[0].model: unknown model "chrun" (defined models: churn)`,
		},
		"duplicates.bad.yaml": {
			`5:10: models[0].features[1].name: duplicate feature "tenure" (also features[0])`,
			`10:5: models[0].window: duplicate key "window"`,
			`11:5: models[1].name: duplicate model "churn" (also models[0])`,
		},
		"syntax.bad.yaml": {
			`2: invalid YAML: did not find expected ',' or ']'`,
		},
		"leader-election.bad.yaml": {
			`1:1: storage.checkpoint_dir: must be set with leader_election.enabled: replicas share storage.dir, but each keeps its own checkpoints of the partitions it reads (models[0] reads Kafka); use a directory of each replica's own, such as an emptyDir`,
			`2:34: leader_election.lease_name: "Driftwatch" is not a valid object name (lowercase letters, digits, '-' and '.')`,
			`2:58: leader_election.renew_deadline: must be shorter than lease_duration (15s), got 20s`,
		},
		"empty.bad.yaml": {
			`1:1: models: at least one model is required`,
		},
		"semantics.bad.yaml": {
			`2:5: models[0].name: "Churn_Model" has the character 'C' (allowed: lowercase letters, digits and '-')`,
			`3:54: models[0].features[0].drift.method: method chisquare does not apply to numeric features`,
			`4:5: models[0].prediction.positive_class: is required for a binary model`,
			`7:7: models[0].source.kafka.group: is required: driftwatch commits offsets through a consumer group`,
			`8:19: models[0].source.kafka.brokers[0]: broker "localhost" is not host:port`,
			`9:18: models[0].source.kafka.topics.predictions: topic name "churn predictions" has the character ' ' (allowed: letters, digits, '.', '_' and '-')`,
			`10:34: models[0].reference.data: set profile or data, not both`,
			`11:25: models[0].window.count: set size or count, not both`,
			`12:13: models[0].drift.dataset_share: must be in (0, 1], got 1.5`,
			`12:46: models[0].drift.thresholds[ks]: ks compares a p-value: the threshold must be below 1, got 2`,
			`14:7: models[0].quality.metrics: quality metrics need labels: set label.enabled to true`,
			`14:18: models[0].quality.metrics[0].metric: rmse is a regression metric but the model is binary`,
		},
	}
	files, err := filepath.Glob(filepath.Join(fixtures, "*.bad.yaml"))
	require.NoError(t, err)
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			want, ok := tests[name]
			require.True(t, ok, "fixture %s has no expected problems in this test", name)
			_, err := Load(f)
			require.Error(t, err)
			var cerr *Error
			require.True(t, errors.As(err, &cerr), "want *config.Error, got %T: %v", err, err)
			var got []string
			for _, line := range strings.Split(cerr.Error(), "\n") {
				got = append(got, strings.TrimPrefix(line, f+":"))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDefaultsAndOverrides(t *testing.T) {
	cfg, err := Load(filepath.Join(fixtures, "minimal.good.yaml"))
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:9400", cfg.Server.Listen)
	require.Equal(t, "driftwatch-data", cfg.Storage.Dir)
	m := cfg.Models[0]
	require.Equal(t, collectors.MethodAuto, m.Drift.NumericMethod)
	require.Equal(t, 0.5, m.Drift.DatasetShare)
	require.Equal(t, 10, m.Reference.Bins)
	require.Equal(t, 10*time.Minute, m.Window.Size)
	require.Equal(t, time.Minute, m.Window.AllowedLateness)
	require.Equal(t, "features", m.Source.Fields.Features)
	require.Equal(t, "features.tenure", m.FeatureField(m.Features[0]))

	cfg, err = Load(filepath.Join(fixtures, "anchors.good.yaml"))
	require.NoError(t, err)
	a, b := cfg.Models[0], cfg.Models[1]
	require.Equal(t, time.Hour, a.Window.Size)
	require.Equal(t, 30*time.Minute, b.Window.Size, "a key after a merge overrides the merged value")
	require.Equal(t, 5*time.Minute, b.Window.AllowedLateness, "merged keys are kept")
	require.Equal(t, a.Features, b.Features)

	cfg, err = Load(filepath.Join(fixtures, "example.yaml"))
	require.NoError(t, err)
	debt := cfg.Models[0].Features[2]
	require.Equal(t, drift.MethodPSI, debt.Drift.Method)
	require.NotNil(t, debt.Drift.Threshold)
	require.Equal(t, 0.2, *debt.Drift.Threshold)
	require.Equal(t, "meta.account_hash", cfg.Models[0].FeatureField(cfg.Models[0].Features[6]))
}

func TestParseEdgeCases(t *testing.T) {
	const model = `
models:
  - name: m
    features: [{name: x, type: numeric}]
    prediction: {kind: regression}
    source: {type: file, file: {path: e.jsonl}}
    reference: {profile: p.json}
    window: {size: 10m}
`
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{
			name: "second document",
			yaml: model + "---\nmodels: []\n",
			want: []string{"mem.yaml:9: the file holds more than one YAML document; driftwatch reads exactly one"},
		},
		{
			name: "nan threshold",
			yaml: strings.Replace(model, "window: {size: 10m}", "window: {size: 10m}\n    drift: {dataset_share: .nan}", 1),
			want: []string{`mem.yaml:9:28: models[0].drift.dataset_share: want a finite number, got ".nan"`},
		},
		{
			name: "negative duration and bare number",
			yaml: strings.Replace(model, "window: {size: 10m}", "window: {size: -5m, allowed_lateness: 30}", 1),
			want: []string{
				`mem.yaml:8:14: models[0].window.size: must be positive, got -5m0s`,
				`mem.yaml:8:43: models[0].window.allowed_lateness: invalid duration "30" (want a number with a unit, such as 90s, 15m or 6h)`,
			},
		},
		{
			name: "top level is a list",
			yaml: "- a\n- b\n",
			want: []string{`mem.yaml:1:1: want a mapping, got a list`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("mem.yaml", []byte(tc.yaml))
			require.Error(t, err)
			got := strings.Split(err.Error(), "\n")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestParent(t *testing.T) {
	for in, want := range map[string]string{
		"models[0].features[2].type": "models[0].features[2]",
		"models[0].features[2]":      "models[0].features",
		"models":                     "",
		"env[A.B]":                   "env",
		"a.env[A.B].c":               "a.env[A.B]",
	} {
		require.Equal(t, want, string(parent(field.Path(in))), in)
	}
}
