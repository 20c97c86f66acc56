package dashboards_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/dashboards"
	"github.com/driftwatch/driftwatch/internal/app"
	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/internal/testenv"
	"github.com/driftwatch/driftwatch/pipelines"
	"github.com/driftwatch/driftwatch/triggers"
)

// e2eConfig is the runnable example configuration (see runnable) cut down
// to what runs without other services: the credit-risk model, which
// replays the committed files, its pipeline and trigger rule, no
// Alertmanager, so that the embedded evaluator fires the alerts, and no
// for duration, so that they fire at once.
func e2eConfig(t *testing.T, listen string) *config.Config {
	t.Helper()
	cfg := runnable(t, listen)
	cfg.Models = slicesFilter(cfg.Models, func(m collectors.ModelConfig) bool { return m.Source.Type == collectors.SourceFile })
	cfg.Pipelines = slicesFilter(cfg.Pipelines, func(p pipelines.Pipeline) bool { return p.Model == "credit-risk" })
	cfg.Triggers.Rules = slicesFilter(cfg.Triggers.Rules, func(r triggers.Rule) bool { return r.Pipeline == "credit-risk-retrain" })
	for i := range cfg.Triggers.Rules {
		cfg.Triggers.Rules[i].Silence = false
	}
	cfg.Alertmanager.URL = ""
	cfg.Prometheus.Rules.For = 0
	require.NoError(t, cfg.Validate())
	require.Len(t, cfg.Models, 1)
	return cfg
}

func slicesFilter[T any](in []T, keep func(T) bool) []T {
	var out []T
	for _, v := range in {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}

// withEmptyReplay points the file models at empty files: driftwatch
// starts, exports its counters at zero and publishes no window.
func withEmptyReplay(t *testing.T, cfg *config.Config) {
	t.Helper()
	dir := t.TempDir()
	for i := range cfg.Models {
		f := &cfg.Models[i].Source.File
		for _, p := range []*string{&f.Path, &f.LabelsPath} {
			if *p != "" {
				empty := filepath.Join(dir, filepath.Base(*p))
				require.NoError(t, os.WriteFile(empty, nil, 0o644))
				*p = empty
			}
		}
	}
}

// TestPanelsReturnDataFromPrometheus runs driftwatch on the replayed
// example data, has a real Prometheus scrape it, and runs every query of
// every panel of its dashboards through Prometheus's HTTP API, with the
// template variables substituted as Grafana would with every value
// chosen. Each query must parse, return at least one series with a
// number, and have every label its legend shows.
//
// A replay is over in well under a second, faster than any scrape, and
// Prometheus then sees every counter only at its final value: every rate
// would be zero and every histogram quantile NaN. So driftwatch first
// replays empty files, Prometheus scrapes its counters at zero, and then
// driftwatch restarts on the same address with the real files. Counters
// only grow between the two, so rates and increases are real. The
// pipeline metrics get the same treatment from retrainAndRollBack: the
// drift alerts' run creates their series, and a second run and a
// rollback make them grow.
//
// Annotation queries are checked like panel queries, their titles, texts
// and tags standing for the legend.
func TestPanelsReturnDataFromPrometheus(t *testing.T) {
	addr := testenv.FreeAddr(t)
	prom := startPrometheus(t, addr)
	fast := func(o *app.Options) { o.EmbeddedInterval = 100 * time.Millisecond }
	const model = `model="credit-risk"`

	baseline := e2eConfig(t, addr)
	withEmptyReplay(t, baseline)
	a, _ := startDriftwatch(t, baseline, fast)
	prom.waitFor(t, `driftwatch_source_replay_finished{`+model+`} == 1 and on (model) driftwatch_events_consumed_total{`+model+`,stream="predictions",outcome="accepted"} == 0`,
		"the baseline at zero")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, a.Stop(ctx))

	cfg := e2eConfig(t, addr)
	a, reg := startDriftwatch(t, cfg, fast)
	require.Eventually(t, func() bool {
		return sumOf(gather(t, reg), "driftwatch_trigger_decisions_total") > 0
	}, time.Minute, 20*time.Millisecond, "the embedded evaluator fired no alert that the trigger engine decided on")
	prom.waitFor(t, `driftwatch_source_replay_finished{`+model+`} == 1 and on (model) driftwatch_events_consumed_total{`+model+`,stream="predictions",outcome="accepted"} == 2000`,
		"the replay")
	prom.waitFor(t, `sum(driftwatch_trigger_decisions_total{`+model+`}) > 0`, "a trigger decision")
	retrainAndRollBack(t, a, prom)

	ds, err := dashboards.Generate(input(cfg))
	require.NoError(t, err)
	queries := 0
	for _, d := range ds {
		vars := variables(t, d)
		for _, q := range decode(t, d).queries() {
			queries++
			expr := substitute(q.expr, vars)
			t.Run(d.UID+"/"+q.where, func(t *testing.T) {
				checkResult(t, prom, expr, q.legend)
			})
		}
	}
	require.Greater(t, queries, 50)
}

// retrainAndRollBack drives the retraining loop so that every pipeline
// metric has series that change while Prometheus watches. The drift
// alerts of the replay start a run, which deploys the model's first
// champion and gives the step duration and trigger to deploy histograms
// their series. Once Prometheus has scraped them, a run asked for by hand
// deploys a second version and a manual rollback restores the first, so
// that the histograms grow (their rates are real, not NaN) and both
// kinds of deploys show.
func retrainAndRollBack(t *testing.T, a *app.App, prom *prometheusServer) {
	t.Helper()
	const model = `model="` + retrainedModel + `"`
	var runs []triggers.Run
	require.Eventually(t, func() bool {
		var err error
		runs, err = a.Engine().Runs(t.Context(), triggers.RunFilter{Model: retrainedModel})
		require.NoError(t, err)
		return len(runs) > 0
	}, time.Minute, 10*time.Millisecond, "the drift alerts started no run")
	require.Len(t, runs, 1, "the rule's cooldown allows one run")
	first := waitForRun(t, a, runs[0].ID)
	prom.waitFor(t, `driftwatch_pipeline_step_duration_seconds_count{`+model+`,step="deploy"} == 1
and on (model) driftwatch_pipeline_trigger_to_deploy_seconds_count{`+model+`} == 1
and on (model) driftwatch_model_champion_info{`+model+`,version="`+first.Challenger.Version+`"}`,
		"the first champion")

	retrain(t, a, "a second version for the dashboards")
	rollBack(t, a)
	champion, ok, err := a.Runner().Registry().Champion(retrainedModel)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, first.Challenger.Version, champion.Version, "the rollback restored the first champion")
	prom.waitFor(t, `driftwatch_model_deploys_total{`+model+`,kind="deploy"} == 2 and on (model) driftwatch_model_deploys_total{`+model+`,kind="rollback"} == 1`,
		"the second deploy and the rollback")
}

// checkResult runs one panel query and checks what it returns.
func checkResult(t *testing.T, prom *prometheusServer, expr, legend string) {
	v, err := prom.query(expr)
	require.NoError(t, err, expr)
	require.NotEmpty(t, v, "no data for\n%s", expr)
	numbers := 0
	for _, s := range v {
		if !math.IsNaN(s.number()) {
			numbers++
		}
		for _, m := range legendLabel.FindAllStringSubmatch(legend, -1) {
			require.Contains(t, s.Metric, m[1], "legend %q of\n%s", legend, expr)
		}
	}
	require.Positive(t, numbers, "only NaN from\n%s", expr)
}

func sumOf(fams families, name string) float64 {
	total := 0.0
	for _, m := range fams[name].GetMetric() {
		total += m.GetCounter().GetValue() + m.GetGauge().GetValue()
	}
	return total
}

// variables returns the value Grafana substitutes for each template
// variable of a dashboard with every value chosen: a constant as it is,
// and a multi-value variable as an alternation of its values escaped for
// a regular expression inside a PromQL string. Grafana's interval
// variables get the values it computes for a one-hour range and
// Prometheus's default 15s scrape interval.
func variables(t *testing.T, d dashboards.Dashboard) map[string]string {
	t.Helper()
	vars := map[string]string{"__rate_interval": "1m", "__range": "1h", "__interval": "15s"}
	for _, v := range decode(t, d).Templating.List {
		query, _ := v.Query.(string)
		switch v.Type {
		case "constant":
			vars[v.Name] = query
		case "custom":
			var alts []string
			for _, value := range strings.Split(query, ",") {
				alts = append(alts, strings.ReplaceAll(regexp.QuoteMeta(value), `\`, `\\`))
			}
			vars[v.Name] = "(" + strings.Join(alts, "|") + ")"
		}
	}
	return vars
}

var templateVariable = regexp.MustCompile(`\$\{(\w+)\}|\$(\w+)`)

// substitute replaces the template variables of expr; an unknown one
// fails the query in Prometheus, as it would in Grafana.
func substitute(expr string, vars map[string]string) string {
	return templateVariable.ReplaceAllStringFunc(expr, func(m string) string {
		name := strings.Trim(m, "${}")
		if v, ok := vars[name]; ok {
			return v
		}
		return m
	})
}
