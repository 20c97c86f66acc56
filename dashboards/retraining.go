package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// The pipeline runner's metrics the retraining panels read; docs/pipelines.md
// describes them.
const (
	metricRuns            = "driftwatch_pipeline_runs_total"
	metricStepDuration    = "driftwatch_pipeline_step_duration_seconds"
	metricTriggerToDeploy = "driftwatch_pipeline_trigger_to_deploy_seconds"
)

// retrainingPanels show what the model's retraining pipelines did: runs
// by outcome, how long each step takes, and how long a retraining takes
// from its trigger to the new version serving.
//
// Runs are hours or weeks apart, so a rate over Grafana's rate interval is
// zero nearly everywhere. The summaries therefore count over the
// dashboard's time range, and the graphs draw each interval in which a
// step or a deploy ended as a point rather than as a line.
func retrainingPanels(v *modelView) []panel {
	m := ofModel()
	return []panel{
		runOutcomes(m),
		quantileStat("Time from trigger to deploy",
			"From the trigger that asked for a run (an alert, a schedule or a person) to its new version serving, for the deploys in the time range: median and 90th percentile, interpolated within the histogram's buckets (1m, 5m, 10m, 20m, 30m, 1h, 2h, 4h, 8h, 1d, 3d). No value without a deploy in the time range.",
			sel(metricTriggerToDeploy+"_bucket", m), "No deploys"),
		stepDurations(m),
		stepTable(m),
		timeseriesPanel("Time from trigger to deploy, per deploy",
			"Time from the trigger to the new version serving, for the deploys that ended in each interval: one point per deploy, or their mean if several ended in one interval. The stat above gives the percentiles over the time range.",
			unitSeconds,
			query(by("sum", labels("pipeline"), increase(sel(metricTriggerToDeploy+"_sum", m), rateInterval))+"\n/\n"+
				by("sum", labels("pipeline"), increase(sel(metricTriggerToDeploy+"_count", m), rateInterval)), "{{pipeline}}")).
			Span(thirdWidth).
			DrawStyle(common.GraphDrawStylePoints).
			ShowPoints(common.VisibilityModeAlways).
			PointSize(8).
			NoValue("No deploys"),
	}
}

// runOutcomes counts the model's runs that ended in the time range, by
// outcome. A run the gate rejected and an operator then approved counts
// twice: rejected, then with its final outcome.
func runOutcomes(m string) panel {
	p := statPanel("Runs by outcome",
		"Runs of the model's pipelines that ended in the time range, by outcome: succeeded (the new version serves), rejected by the gate, failed, cancelled, or rolled back to the previous champion. A rejected run that an operator approved counts again with its final outcome.",
		unitCount,
		instant("A", "round("+by("sum", labels("outcome"), increase(sel(metricRuns, m), timeRange))+")", "{{outcome}}")).
		Span(halfWidth).
		TextMode(common.BigValueTextModeValueAndName).
		Thresholds(thresholds(colorNeutral))
	for _, o := range []struct{ outcome, color string }{{"succeeded", colorOK}, {"failed", colorBad}, {"rolled_back", colorWarn}} {
		p.OverrideByName(o.outcome, []dashboard.DynamicConfigValue{{Id: "thresholds", Value: thresholdSteps(colorNeutral, step{1, o.color})}})
	}
	return p
}

// quantileStat shows the median and 90th percentile of a histogram's
// observations in the time range; buckets selects the histogram's
// _bucket series. Without observations the quantiles are NaN, which the
// query drops, so that the panel says noValue instead.
func quantileStat(title, description, buckets, noValue string) *stat.PanelBuilder {
	q := func(quantile string) string {
		return "histogram_quantile(" + quantile + ", " + by("sum", labels("le"), increase(buckets, timeRange)) + ") >= 0"
	}
	return statPanel(title, description, unitSeconds, instant("A", q("0.5"), "p50"), instant("B", q("0.9"), "p90")).
		Span(halfWidth).
		TextMode(common.BigValueTextModeValueAndName).
		Thresholds(thresholds(colorNeutral)).
		NoValue(noValue)
}

// stepQuantile is a quantile of the step durations by step over window.
func stepQuantile(m, quantile, window string) string {
	return "histogram_quantile(" + quantile + ", " + by("sum", labels("step", "le"), increase(sel(metricStepDuration+"_bucket", m), window)) + ")"
}

// stepDurations draws the median and 90th percentile of each step's
// attempts that ended in each interval, on a log scale: training takes
// hours where a deploy takes seconds.
func stepDurations(m string) *timeseries.PanelBuilder {
	return timeseriesPanel("Step durations",
		"Duration of the step attempts (train, evaluate, deploy, rollback) that ended in each interval, whatever their result: median and 90th percentile, interpolated within the histogram's buckets, on a log scale. One attempt per interval is the rule, so the two mostly coincide; the table beside gives the percentiles over the time range.",
		unitSeconds,
		query(stepQuantile(m, "0.5", rateInterval), "{{step}} p50"),
		query(stepQuantile(m, "0.9", rateInterval), "{{step}} p90")).
		Span(thirdWidth).
		DrawStyle(common.GraphDrawStylePoints).
		ShowPoints(common.VisibilityModeAlways).
		PointSize(6).
		ScaleDistribution(logScale()).
		NoValue("No steps ended")
}

// stepTable summarises each step over the time range: its attempts, those
// that did not succeed, and their median and 90th percentile duration.
func stepTable(m string) panel {
	attempts := func(matchers ...string) string {
		return by("sum", labels("step"), increase(sel(metricStepDuration+"_count", append([]string{m}, matchers...)...), timeRange))
	}
	return tablePanel("Steps in the time range",
		"Each step's attempts that ended in the time range; those that did not succeed (failed, timed out, cancelled, or interrupted by a restart of driftwatch); and the median and 90th percentile of all their durations, interpolated within the histogram's buckets. A retried step has several attempts in one run.",
		[]column{{"step", "Step"}, valueColumn("A", "Attempts"), valueColumn("B", "Not succeeded"), valueColumn("C", "p50"), valueColumn("D", "p90")},
		"p90",
		tableQuery("A", "round("+attempts()+")"),
		// A step whose attempts all succeeded has no series for the other
		// results; or gives it a zero instead of an empty cell.
		tableQuery("B", "round(\n"+attempts(ne("result", "succeeded"))+"\nor\n"+attempts()+" * 0\n)"),
		tableQuery("C", stepQuantile(m, "0.5", timeRange)+" >= 0"),
		tableQuery("D", stepQuantile(m, "0.9", timeRange)+" >= 0")).
		Span(thirdWidth).
		NoValue("No steps ended").
		OverrideByName("Not succeeded", append(cellColor(), dashboard.DynamicConfigValue{Id: "thresholds", Value: thresholdSteps(colorOK, step{1, colorWarn})})).
		OverrideByName("p50", withUnit(unitSeconds)).
		OverrideByName("p90", withUnit(unitSeconds))
}
