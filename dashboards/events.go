package dashboards

// eventPanels show what the monitor reads: events by stream and outcome,
// and why events were rejected.
func eventPanels(v *modelView) []panel {
	m := ofModel()
	return []panel{
		timeseriesPanel("Events by stream and outcome",
			"Events read per second, by stream and outcome: accepted into a window or the label join, rejected (see the next panel), or late for a window already published.",
			unitPerSecond,
			query(by("sum", labels("stream", "outcome"), rate(sel("driftwatch_events_consumed_total", m))), "{{stream}} {{outcome}}")).
			OverrideByRegexp(".* rejected$", fixedColor(colorBad)).
			OverrideByRegexp(".* late$", fixedColor(colorWarn)).
			Links(v.runbook(alertInputStalled)),
		timeseriesPanel("Rejected events by reason",
			"Events that could not be decoded or did not fit the model, per second, by reason. Reasons that did not occur are left out.",
			unitPerSecond,
			query(by("sum", labels("reason"), rate(sel("driftwatch_events_rejected_total", m)))+" > 0", "{{reason}}")).
			NoValue("No rejections"),
	}
}
