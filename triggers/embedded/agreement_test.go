package embedded

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/driftwatch/driftwatch/internal/testenv"
	"github.com/driftwatch/driftwatch/triggers"
	"github.com/driftwatch/driftwatch/triggers/rules"
)

// agreementCases feed the same series, step by step, to the evaluator and
// to promtool. Steps are a minute apart, the rules are those of fleet with
// the case's settings, and each case says which alerts must fire at some
// step, so that agreeing on silence alone cannot pass.
var agreementCases = []struct {
	name   string
	edit   func(*triggers.RulesConfig)
	steps  int
	series []inputSeries
	fires  []string
}{
	{
		// for 2m, keep_firing_for 3m. tenure drifts at 2-5 and 8: it fires
		// at 4, keeps firing from 6, holds again at 8 and keeps firing
		// through 11; its statistic changes while it keeps firing, which
		// must not reach the description. ranker's score drifts once,
		// shorter than for, then at 5-7. fraud's amount is drifted
		// throughout but has no statistic until 3. plan never drifts, and
		// a model without rules is ignored.
		name:  "feature drift",
		steps: 20,
		series: []inputSeries{
			{`driftwatch_drift_feature_statistic{model="churn",feature="tenure",method="ks"}`, "0.11*2 0.25 0.31*3 0.42*2 0.5*12"},
			{`driftwatch_drift_feature_drifted{model="churn",feature="tenure",method="ks"}`, "0*2 1*4 0*2 1 0*11"},
			{`driftwatch_drift_feature_statistic{model="churn",feature="plan",method="chisquare"}`, "12*20"},
			{`driftwatch_drift_feature_drifted{model="churn",feature="plan",method="chisquare"}`, "0*20"},
			{`driftwatch_drift_feature_statistic{model="ranker",feature="score",method="wasserstein"}`, "0.9*20"},
			{`driftwatch_drift_feature_drifted{model="ranker",feature="score",method="wasserstein"}`, "0 1 0*3 1*3 0*12"},
			{`driftwatch_drift_feature_statistic{model="fraud",feature="amount",method="psi"}`, "_*3 0.2345678*17"},
			{`driftwatch_drift_feature_drifted{model="fraud",feature="amount",method="psi"}`, "1*20"},
			{`driftwatch_drift_feature_statistic{model="other",feature="x",method="ks"}`, "1*20"},
			{`driftwatch_drift_feature_drifted{model="other",feature="x",method="ks"}`, "1*20"},
		},
		fires: []string{rules.FeatureDrift},
	},
	{
		// churn's ratio reaches its share of 0.3 exactly, dips below it by
		// a hair, is NaN (which compares false), and then vanishes, as
		// when its drift window is skipped. fraud sits on its share of
		// 0.5; ranker stays just below it.
		name:  "dataset drift at the threshold",
		steps: 22,
		series: []inputSeries{
			{`driftwatch_drift_dataset_drifted_features_ratio{model="churn"}`, "0.1*2 0.3*3 0.2999 0.3*4 NaN*2 0.5*3 _*7"},
			{`driftwatch_drift_dataset_drifted_features_ratio{model="fraud"}`, "0.5*22"},
			{`driftwatch_drift_dataset_drifted_features_ratio{model="ranker"}`, "0.4999*22"},
		},
		fires: []string{rules.DatasetDrift},
	},
	{
		// churn's f1 is breached at 4-11, NaN at 9-11 (the description
		// says NaN), and its quality window is then skipped, so both of
		// its series vanish. Its log_loss is breached from 10. fraud's
		// accuracy is NaN and breached from 5. The breached flag without
		// a value, and a value without the flag, never fire.
		name:  "quality with NaN and skipped windows",
		steps: 20,
		series: []inputSeries{
			{`driftwatch_quality_value{model="churn",metric="f1"}`, "0.8*4 0.6*5 NaN*3 _*4 0.8*4"},
			{`driftwatch_quality_breached{model="churn",metric="f1"}`, "0*4 1*8 _*4 0*4"},
			{`driftwatch_quality_value{model="churn",metric="log_loss"}`, "0.4*10 0.9*10"},
			{`driftwatch_quality_breached{model="churn",metric="log_loss"}`, "0*10 1*10"},
			{`driftwatch_quality_value{model="fraud",metric="accuracy"}`, "0.95*5 NaN*15"},
			{`driftwatch_quality_breached{model="fraud",metric="accuracy"}`, "0*5 1*15"},
			{`driftwatch_quality_breached{model="ranker",metric="rmse"}`, "1*20"},
			{`driftwatch_quality_value{model="fraud",metric="precision"}`, "0.1*20"},
		},
		fires: []string{rules.QualityBelowThreshold},
	},
	{
		// for 0s and keep_firing_for 0s: an alert fires at the first
		// evaluation that returns it and resolves at the first that does
		// not.
		name:  "no for and no keep_firing_for",
		edit:  func(s *triggers.RulesConfig) { s.For, s.KeepFiringFor = 0, 0 },
		steps: 12,
		series: []inputSeries{
			{`driftwatch_drift_feature_statistic{model="churn",feature="tenure",method="ks"}`, "0.5*12"},
			{`driftwatch_drift_feature_drifted{model="churn",feature="tenure",method="ks"}`, "1 0 1*3 0 1 0*5"},
			{`driftwatch_drift_dataset_drifted_features_ratio{model="churn"}`, "0.3 0.1 0.6*2 _ 0.4*7"},
			{`driftwatch_quality_value{model="churn",metric="f1"}`, "0.1*12"},
			{`driftwatch_quality_breached{model="churn",metric="f1"}`, "0*3 1*2 0 1 0*5"},
		},
		fires: []string{rules.FeatureDrift, rules.DatasetDrift, rules.QualityBelowThreshold},
	},
	{
		// for 1m30s, which is no whole number of intervals, and
		// keep_firing_for 1m: a condition that holds for two evaluations
		// never fires, one that holds for three fires at the third, and a
		// firing alert keeps firing for one evaluation.
		name:  "for between evaluations",
		edit:  func(s *triggers.RulesConfig) { s.For, s.KeepFiringFor = 90*time.Second, time.Minute },
		steps: 16,
		series: []inputSeries{
			{`driftwatch_drift_feature_statistic{model="churn",feature="tenure",method="ks"}`, "0.5*16"},
			{`driftwatch_drift_feature_drifted{model="churn",feature="tenure",method="ks"}`, "0 1*2 0 1*3 0*2 1 0*6"},
			{`driftwatch_drift_dataset_drifted_features_ratio{model="fraud"}`, "0.9*3 0*2 0.9*4 0.1 0.9 0.1*5"},
		},
		fires: []string{rules.FeatureDrift, rules.DatasetDrift},
	},
}

// TestAgreesWithPromtool is the proof that the evaluator and the
// generated rules agree. Each case's series are fed, step by step, to the
// evaluator, whose notifications are the only thing observed: with
// RepeatInterval equal to Interval every firing group is notified at
// every step, so each step's notifications list exactly the alerts firing
// then. The test then writes a promtool unit test whose input_series are
// the same series (an absent step is a staleness marker, as when a scrape
// no longer finds a series), whose rule file is the generated rules, and
// which expects, for every supported alert at every step, exactly the
// alerts the evaluator fired, labels and annotations included, or none.
// promtool passing is agreement.
func TestAgreesWithPromtool(t *testing.T) {
	for _, tc := range agreementCases {
		t.Run(tc.name, func(t *testing.T) {
			s := settings()
			if tc.edit != nil {
				tc.edit(&s)
			}
			in := fleet(s)
			h := newHarness(t, in, tc.series, func(o *Options) { o.RepeatInterval = o.Interval })

			var tests []alertRuleTest
			fired := map[string]bool{}
			for i := range tc.steps {
				got, err := h.step(t, i)
				require.NoError(t, err)
				firing := firingAlerts(got)
				for _, name := range Supported() {
					exp := []expAlert{}
					for _, a := range firing {
						if a.Labels["alertname"] == name {
							exp = append(exp, expAlert{Labels: a.Labels, Annotations: a.Annotations})
							fired[name] = true
						}
					}
					tests = append(tests, alertRuleTest{EvalTime: promDuration(t, time.Duration(i)*time.Minute), Alertname: name, ExpAlerts: exp})
				}
			}
			for _, name := range tc.fires {
				require.True(t, fired[name], "%s never fired: the case proves nothing about it", name)
			}

			dir := t.TempDir()
			writeRules(t, in, filepath.Join(dir, "rules.yaml"))
			path := filepath.Join(dir, "agreement.test.yaml")
			writePromtoolTest(t, path, promtoolTest{
				Name: tc.name, Interval: "1m", InputSeries: promtoolSeries(t, tc.series, tc.steps), AlertRuleTests: tests,
			})
			bin := testenv.Require(t, testenv.Promtool)
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			out, err := exec.CommandContext(ctx, bin, "test", "rules", path).CombinedOutput()
			require.NoError(t, err, "promtool disagrees with the embedded evaluator:\n%s", out)
			require.Contains(t, string(out), "SUCCESS")
		})
	}
}

// firingAlerts returns the firing alerts of notifications, sorted by
// fingerprint.
func firingAlerts(ns []triggers.Notification) []triggers.Alert {
	var out []triggers.Alert
	for _, n := range ns {
		for _, a := range n.Alerts {
			if a.Status == triggers.AlertFiring {
				out = append(out, a)
			}
		}
	}
	sortAlerts(out)
	return out
}

// promtoolSeries spells test series as promtool input series: one value
// per step, with _ before a series first appears and a staleness marker
// wherever it is absent after that.
func promtoolSeries(t *testing.T, in []inputSeries, steps int) []promtoolInput {
	t.Helper()
	var out []promtoolInput
	for _, s := range in {
		points := parsePoints(t, s.values)
		require.Len(t, points, steps, "values of %s", s.spec)
		vals := make([]string, 0, steps)
		seen := false
		for _, p := range points {
			switch {
			case p.ok:
				vals, seen = append(vals, strconv.FormatFloat(p.v, 'g', -1, 64)), true
			case seen:
				vals = append(vals, "stale")
			default:
				vals = append(vals, "_")
			}
		}
		out = append(out, promtoolInput{Series: s.spec, Values: strings.Join(vals, " ")})
	}
	return out
}

func promDuration(t *testing.T, d time.Duration) string {
	t.Helper()
	s, err := rules.Duration(d)
	require.NoError(t, err)
	return s
}

func writeRules(t *testing.T, in rules.Input, path string) {
	t.Helper()
	f, err := rules.Generate(in)
	require.NoError(t, err)
	data, err := rules.Marshal(f, rules.FormatPrometheus)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o644))
}

func writePromtoolTest(t *testing.T, path string, test promtoolTest) {
	t.Helper()
	data, err := yaml.Marshal(promtoolFile{
		RuleFiles: []string{"rules.yaml"}, EvaluationInterval: "1m", Tests: []promtoolTest{test},
	})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o644))
}

// promtoolFile is a promtool unit test file, as much of it as the
// agreement test writes.
type promtoolFile struct {
	RuleFiles          []string       `yaml:"rule_files"`
	EvaluationInterval string         `yaml:"evaluation_interval"`
	Tests              []promtoolTest `yaml:"tests"`
}

type promtoolTest struct {
	Name           string          `yaml:"name"`
	Interval       string          `yaml:"interval"`
	InputSeries    []promtoolInput `yaml:"input_series"`
	AlertRuleTests []alertRuleTest `yaml:"alert_rule_test"`
}

type promtoolInput struct {
	Series string `yaml:"series"`
	Values string `yaml:"values"`
}

type alertRuleTest struct {
	EvalTime  string     `yaml:"eval_time"`
	Alertname string     `yaml:"alertname"`
	ExpAlerts []expAlert `yaml:"exp_alerts"`
}

type expAlert struct {
	Labels      map[string]string `yaml:"exp_labels"`
	Annotations map[string]string `yaml:"exp_annotations"`
}

// TestPromtoolSeries checks the spelling of absent steps, on which the
// agreement rests: promtool must see a series vanish at once.
func TestPromtoolSeries(t *testing.T) {
	got := promtoolSeries(t, []inputSeries{{`x{a="b"}`, "_*2 1 NaN _ 0.25*2 _"}}, 8)
	require.Equal(t, []promtoolInput{{Series: `x{a="b"}`, Values: "_ _ 1 NaN stale 0.25 0.25 stale"}}, got)
}
