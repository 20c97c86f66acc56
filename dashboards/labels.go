package dashboards

// labelPanels show the label join: coverage and join rate against
// min_label_join_rate, join outcomes, label delay and the predictions
// waiting. Models without labels have none.
func labelPanels(v *modelView) []panel {
	if !v.labels() {
		return nil
	}
	m := ofModel()
	joins := func(outcome string) string {
		return "sum(" + rate(sel("driftwatch_labels_join_total", m, outcome)) + ")"
	}
	delay := func(q string) string {
		return "histogram_quantile(" + q + ", " + by("sum", labels("le"), rate(sel("driftwatch_labels_delay_seconds_bucket", m))) + ")"
	}
	return []panel{
		timeseriesPanel("Label coverage",
			"Share of predictions that found their label since the monitor started, and the join rate over the interval: joins among joins, unmatched labels and evicted predictions, as the label join alert computes it.",
			unitRatio,
			query(sel("driftwatch_labels_coverage_ratio", m), "coverage since start"),
			query(joins(eq("outcome", "joined"))+" / "+joins(re("outcome", "joined|unmatched|evicted_ttl|evicted_capacity")), "join rate")).
			Span(6).
			Min(0).
			Max(1).
			Thresholds(joinRateThresholds(v.in.MinLabelJoinRate)).
			ThresholdsStyle(dashedThresholds()).
			Links(v.runbook(alertLabelJoinRateLow)),
		timeseriesPanel("Label join outcomes",
			"Label join results per second: labels joined to their prediction, duplicate and unmatched labels, and predictions evicted without a label after label.ttl or to stay within label.max_entries.",
			unitPerSecond,
			query(by("sum", labels("outcome"), rate(sel("driftwatch_labels_join_total", m))), "{{outcome}}")).
			Span(6).
			OverrideByRegexp("evicted_.*|unmatched", fixedColor(colorWarn)),
		timeseriesPanel("Label delay",
			"Label event time minus prediction event time for the labels joined in the interval: median, 90th and 99th percentiles.",
			unitSeconds,
			query(delay("0.5"), "p50"),
			query(delay("0.9"), "p90"),
			query(delay("0.99"), "p99")).
			Span(6),
		timeseriesPanel("Predictions waiting for labels",
			"Predictions held by the label join: waiting for a label, or joined and kept until label.ttl to recognise duplicates. At label.max_entries ("+
				number(float64(v.cfg.Label.MaxEntries))+") the oldest are evicted.",
			unitCount,
			query(sel("driftwatch_labels_buffered_predictions", m), "buffered")).
			Span(6).
			Thresholds(thresholds(colorOK, step{float64(v.cfg.Label.MaxEntries), colorWarn})).
			ThresholdsStyle(dashedThresholds()),
	}
}
