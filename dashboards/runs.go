package dashboards

import "github.com/grafana/grafana-foundation-sdk/go/common"

// triggerPanels show what the trigger engine did for the model: its
// decisions on alerts, schedules and manual requests, the runs it holds
// queued or running, and the runs that ended. What the runs did inside
// the pipelines is in the retraining and champion rows.
func triggerPanels(v *modelView) []panel {
	m := ofModel()
	return []panel{
		timeseriesPanel("Trigger decisions",
			"Decisions of the trigger engine in each interval, by origin (alertmanager, embedded, schedule, manual) and outcome: started or queued a run, or why it did not. Intervals without decisions are left out.",
			unitCount,
			query(by("sum", labels("origin", "outcome"), increase(sel("driftwatch_trigger_decisions_total", m), rateInterval))+" > 0",
				"{{origin}}: {{outcome}}")).
			Span(thirdWidth).
			DrawStyle(common.GraphDrawStyleBars).
			NoValue("No decisions").
			OverrideByRegexp(".*: started$", fixedColor(colorOK)).
			OverrideByRegexp(".*: suppressed_.*", fixedColor(colorWarn)),
		timeseriesPanel("Runs in flight",
			"The model's runs queued or running.",
			unitCount,
			query(by("max", labels("state"), sel("driftwatch_trigger_runs", m)), "{{state}}")).
			Span(thirdWidth).
			Min(0),
		timeseriesPanel("Runs finished by state",
			"The model's runs that ended in each interval: succeeded, failed or cancelled.",
			unitCount,
			query(by("sum", labels("state"), increase(sel("driftwatch_trigger_runs_finished_total", m), rateInterval)), "{{state}}")).
			Span(thirdWidth).
			DrawStyle(common.GraphDrawStyleBars).
			OverrideByName("succeeded", fixedColor(colorOK)).
			OverrideByName("failed", fixedColor(colorBad)).
			OverrideByName("cancelled", fixedColor(colorWarn)),
	}
}
