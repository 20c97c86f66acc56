package dashboards

// predictionLabels are the labels the prediction drift series share.
var predictionLabels = labels("model", "method")

// predictionDriftPanels show the drift of the model's output: its
// statistic, its score against the threshold, and when it drifted. They
// stay empty when the reference profile has no prediction.
func predictionDriftPanels(v *modelView) []panel {
	series := func(metric string) string { return sel(metric, ofModel()) }
	score := driftScore(series("driftwatch_drift_prediction_statistic"), series("driftwatch_drift_prediction_threshold"),
		series("driftwatch_drift_prediction_p_value"), predictionLabels)
	return []panel{
		timeseriesPanel("Prediction drift statistic",
			"Drift statistic or distance of the model's prediction in each drift window.",
			unitNone,
			query(series("driftwatch_drift_prediction_statistic"), "{{method}}")).
			Span(thirdWidth),
		timeseriesPanel("Prediction drift score",
			"The prediction's drift relative to its threshold: the statistic divided by the threshold for a distance, the threshold divided by the p-value for a test. At 1 or more the prediction drifted.",
			unitNone,
			query(score, "{{method}}")).
			Span(thirdWidth).
			Min(0).
			Thresholds(thresholds(colorOK, step{1, colorBad})).
			ThresholdsStyle(dashedThresholds()),
		stateTimelinePanel("Prediction drifted",
			"Whether the prediction drifted, window by window.",
			flagStates("Stable", "Drifted"),
			query(by("max", labels("method"), series("driftwatch_drift_prediction_drifted")), "prediction ({{method}})")).
			Span(thirdWidth),
	}
}
