package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// featureLabels are the labels the per-feature drift series share.
var featureLabels = labels("model", "feature", "method")

// featureSeries returns the selector of a per-feature drift metric for
// the dashboard's model and chosen features.
func featureSeries(metric string) string { return sel(metric, ofModel(), ofFeatures()) }

// featureScore is each chosen feature's drift score (see driftScore).
func featureScore() string {
	return driftScore(featureSeries("driftwatch_drift_feature_statistic"), featureSeries("driftwatch_drift_feature_threshold"),
		featureSeries("driftwatch_drift_feature_p_value"), featureLabels)
}

// scoreColumn is the title of the drift table's score column, which the
// table sorts by.
const scoreColumn = "Score (1 = threshold)"

// featureDriftPanels show every tested feature's drift: a table of the
// latest window, worst first; the score of every feature over time; each
// feature's statistic against its threshold; the p-values of the tests;
// missing values; and when features drifted.
func featureDriftPanels(v *modelView) []panel {
	stat := featureSeries("driftwatch_drift_feature_statistic")
	threshold := featureSeries("driftwatch_drift_feature_threshold")
	pValue := featureSeries("driftwatch_drift_feature_p_value")
	share := v.cfg.Drift.DatasetShare
	return []panel{
		driftTable(),
		timeseriesPanel("Drift score by feature",
			"Each feature's drift relative to its threshold: the statistic divided by the threshold for distances, the threshold divided by the p-value for tests. At 1 or more the feature drifted.",
			unitNone,
			query(featureScore(), "{{feature}} ({{method}})")).
			Min(0).
			Thresholds(thresholds(colorOK, step{1, colorBad})).
			ThresholdsStyle(dashedThresholds()).
			Links(v.runbook(alertFeatureDrift)),
		timeseriesPanel("Drift statistic: $"+varFeature,
			"The feature's drift statistic or distance in each drift window, and the threshold it is compared with. A hypothesis test compares its p-value instead, shown in the p-value panel, so no threshold is drawn here for it.",
			unitNone,
			refQuery("A", stat, "{{method}}"),
			refQuery("B", threshold+" unless on ("+join(featureLabels)+") "+pValue, "threshold ({{method}})")).
			Span(fullWidth).
			Height(7).
			Repeat(varFeature).
			RepeatDirection(dashboard.PanelRepeatDirectionH).
			MaxPerRow(4).
			OverrideByQuery("B", thresholdLine()).
			Links(v.runbook(alertFeatureDrift)),
		timeseriesPanel("P-values of drift tests",
			"P-values of the features tested with a hypothesis test (ks, chisquare, cramervonmises, ztest, missing_share), after the configured correction, on a log scale. A feature drifts when its p-value falls below the threshold. Features judged by a distance have none.",
			unitNone,
			refQuery("A", pValue, "{{feature}} ({{method}})"),
			refQuery("B", by("max", labels("method"), threshold+" and on ("+join(featureLabels)+") "+pValue), "threshold ({{method}})")).
			ScaleDistribution(logScale()).
			OverrideByQuery("B", thresholdLine()),
		timeseriesPanel("Missing values",
			"Share of each feature's values in the latest drift window that were missing, NaN or infinite.",
			unitRatio,
			query(sel("driftwatch_drift_feature_missing_ratio", ofModel(), ofFeatures()), "{{feature}}")).
			Min(0).
			Max(1),
		stateTimelinePanel("Drifted features",
			"Whether each feature drifted, window by window.",
			flagStates("Stable", "Drifted"),
			query(by("max", labels("feature"), featureSeries("driftwatch_drift_feature_drifted")), "{{feature}}")).
			Links(v.runbook(alertFeatureDrift)),
		timeseriesPanel("Share of drifted features",
			"Share of the tested features that drifted, window by window. At drift.dataset_share ("+number(share)+") the model drifted as a whole.",
			unitRatio,
			query(sel("driftwatch_drift_dataset_drifted_features_ratio", ofModel()), "drifted share")).
			Min(0).
			Max(1).
			Thresholds(thresholds(colorOK, step{share, colorBad})).
			ThresholdsStyle(shadedThresholds()).
			Links(v.runbook(alertDatasetDrift)),
	}
}

// driftTable lists the chosen features in the latest drift window, the
// most drifted first.
func driftTable() panel {
	agg := func(expr string) string { return by("max", labels("feature", "method"), expr) }
	return tablePanel("Current drift, worst first",
		"The chosen features in the latest drift window, sorted by drift score: the statistic divided by the threshold for distances, the threshold divided by the p-value for tests. At 1 or more the feature drifted.",
		[]column{
			{"feature", "Feature"}, {"method", "Method"},
			valueColumn("A", scoreColumn), valueColumn("B", "Statistic"), valueColumn("C", "P-value"),
			valueColumn("D", "Threshold"), valueColumn("E", "Drifted"),
		},
		scoreColumn,
		tableQuery("A", agg(featureScore())),
		tableQuery("B", agg(featureSeries("driftwatch_drift_feature_statistic"))),
		tableQuery("C", agg(featureSeries("driftwatch_drift_feature_p_value"))),
		tableQuery("D", agg(featureSeries("driftwatch_drift_feature_threshold"))),
		tableQuery("E", agg(featureSeries("driftwatch_drift_feature_drifted"))),
	).
		Decimals(4).
		OverrideByName(scoreColumn, append(cellColor(), dashboard.DynamicConfigValue{
			Id: "thresholds", Value: thresholdSteps(colorOK, step{1, colorBad}),
		})).
		OverrideByName("Drifted", append(cellColor(), dashboard.DynamicConfigValue{Id: "mappings", Value: flagStates("no", "DRIFTED")}))
}
