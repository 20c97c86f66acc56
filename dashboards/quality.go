package dashboards

import (
	"math"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/drift/quality"
)

// qualityTitles are the metrics' names as people write them.
var qualityTitles = map[quality.Metric]string{
	quality.Accuracy: "Accuracy", quality.Precision: "Precision", quality.Recall: "Recall", quality.F1: "F1",
	quality.PrecisionMacro: "Precision (macro)", quality.RecallMacro: "Recall (macro)", quality.F1Macro: "F1 (macro)",
	quality.ROCAUC: "ROC AUC", quality.LogLoss: "Log loss", quality.Brier: "Brier score",
	quality.MAE: "MAE", quality.RMSE: "RMSE", quality.MAPE: "MAPE", quality.R2: "R²",
}

// qualityPanels show each configured quality metric against its
// threshold, the bad side shaded, and when metrics were breached.
func qualityPanels(v *modelView) []panel {
	metrics := v.cfg.Quality.Metrics
	if len(metrics) == 0 {
		return nil
	}
	out := make([]panel, 0, len(metrics)+1)
	for _, q := range metrics {
		out = append(out, qualityPanel(v, q))
	}
	// The breaches fill the rest of the last line, or a line of their own.
	width, height := fullWidth-(thirdWidth*len(metrics))%fullWidth, uint32(graphH)
	if width == fullWidth {
		height = 5 // a band of states needs no more on a line of its own
	}
	out = append(out, stateTimelinePanel("Quality breaches",
		"Whether each quality metric was worse than its threshold, window by window.",
		flagStates("OK", "Breached"),
		query(by("max", labels("metric"), sel("driftwatch_quality_breached", ofModel())), "{{metric}}")).
		Span(uint32(width)).
		Height(height).
		Links(v.runbook(alertQuality)))
	return out
}

func qualityPanel(v *modelView, q collectors.QualityMetricConfig) panel {
	metric := eq("metric", string(q.Metric))
	title, ok := qualityTitles[q.Metric]
	if !ok {
		title = string(q.Metric)
	}
	side, limits := "below", thresholds(colorBad, step{q.Threshold, colorOK})
	if !q.Metric.HigherIsBetter() {
		side, limits = "above", thresholds(colorOK, step{q.Threshold, colorBad})
	}
	p := timeseriesPanel(title,
		title+" over each quality window of at least quality.min_labels joined pairs. It alerts "+side+" its threshold, "+number(q.Threshold)+
			"; that side is shaded red.",
		qualityUnit(q.Metric),
		refQuery("A", sel("driftwatch_quality_value", ofModel(), metric), string(q.Metric)),
		refQuery("B", sel("driftwatch_quality_threshold", ofModel(), metric), "threshold")).
		Span(thirdWidth).
		Decimals(3).
		Thresholds(limits).
		ThresholdsStyle(shadedThresholds()).
		OverrideByQuery("B", thresholdLine()).
		Links(v.runbook(alertQuality))
	if lo, hi := q.Metric.Bounds(); !math.IsInf(lo, 0) {
		p.Min(lo)
		if !math.IsInf(hi, 0) {
			p.Max(hi)
		}
	}
	return p
}

// qualityUnit shows shares as percentages and everything else as a plain
// number: errors are in the label's own unit.
func qualityUnit(m quality.Metric) string {
	switch m {
	case quality.Accuracy, quality.Precision, quality.Recall, quality.F1,
		quality.PrecisionMacro, quality.RecallMacro, quality.F1Macro, quality.MAPE:
		return unitRatio
	}
	return unitNone
}
