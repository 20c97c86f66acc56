package dashboards

import "github.com/grafana/grafana-foundation-sdk/go/common"

// windowPanels show the windows every other panel reads from: how old
// the latest ones are, how many events they held, and how windows ended.
func windowPanels(v *modelView) []panel {
	m := ofModel()
	return []panel{
		timeseriesPanel("Window age",
			"Time since the end of the latest published window, by kind: how stale the drift and quality panels are.",
			unitSeconds,
			query("time() - "+by("max", labels("window"), sel("driftwatch_window_end_timestamp_seconds", m)), "{{window}}")).
			Span(thirdWidth),
		timeseriesPanel("Events in the latest window",
			"Events (drift) or joined pairs (quality) in the latest published window. Windows with fewer than window.min_events ("+
				number(float64(v.cfg.Window.MinEvents))+") or quality.min_labels are skipped.",
			unitCount,
			query(by("max", labels("window"), sel("driftwatch_window_events", m)), "{{window}}")).
			Span(thirdWidth),
		timeseriesPanel("Windows closed by outcome",
			"Windows ended in each interval, by kind and outcome: evaluated, skipped for too few events, failed, or discarded after a rebalance.",
			unitCount,
			query(by("sum", labels("window", "outcome"), increase(sel("driftwatch_window_closed_total", m), rateInterval)), "{{window}} {{outcome}}")).
			Span(thirdWidth).
			DrawStyle(common.GraphDrawStyleBars).
			OverrideByRegexp(".* skipped$", fixedColor(colorWarn)).
			OverrideByRegexp(".* failed$", fixedColor(colorBad)),
	}
}
