package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/stat"
)

// healthPanels are the model's vital signs on one line: is its source
// reading, is it drifting, is its quality below its thresholds, is input
// arriving, are labels joining, and how old are its windows.
func healthPanels(v *modelView) []panel {
	m := ofModel()
	stats := []*stat.PanelBuilder{
		statPanel("Source", "Whether the model's source has started reading: its replay files are open, or its Kafka consumer has joined its group.",
			unitNone, instant("A", sel("driftwatch_source_ready", m), "source")).
			Mappings(readyStates()),
		statPanel("Drifted features", "Share of the tested features that drifted in the latest drift window. Red from drift.dataset_share ("+
			number(v.cfg.Drift.DatasetShare)+"), where the model counts as drifted as a whole.",
			unitRatio, instant("A", sel("driftwatch_drift_dataset_drifted_features_ratio", m), "drifted")).
			Thresholds(thresholds(colorOK, step{v.cfg.Drift.DatasetShare, colorBad})).
			Links(v.runbook(alertDatasetDrift)),
		statPanel("Prediction", "Whether the model's prediction drifted in the latest drift window. No value when the reference profile has no prediction.",
			unitNone, instant("A", "max("+sel("driftwatch_drift_prediction_drifted", m)+")", "prediction")).
			Mappings(flagStates("Stable", "Drifted")),
	}
	if len(v.cfg.Quality.Metrics) > 0 {
		stats = append(stats, statPanel("Quality breaches", "Quality metrics worse than their thresholds in the latest quality window.",
			unitCount, instant("A", "sum("+sel("driftwatch_quality_breached", m)+")", "breaches")).
			Thresholds(thresholds(colorOK, step{1, colorBad})).
			Links(v.runbook(alertQuality)))
	}
	stats = append(stats, statPanel("Accepted predictions", "Prediction events accepted per second. Zero for long means the input stalled.",
		unitPerSecond, instant("A", acceptedRate(m), "accepted")).
		Thresholds(thresholds(colorNeutral)).
		Links(v.runbook(alertInputStalled)))
	if v.labels() {
		stats = append(stats, statPanel("Label coverage", "Share of predictions that found their label, among those whose wait is over, since the monitor started.",
			unitRatio, instant("A", sel("driftwatch_labels_coverage_ratio", m), "coverage")).
			Thresholds(joinRateThresholds(v.in.MinLabelJoinRate)).
			Links(v.runbook(alertLabelJoinRateLow)))
	}
	if v.kafka() {
		stats = append(stats, statPanel("Consumer lag", "Messages in the model's topics that its consumer has not read yet.",
			unitCount, instant("A", "sum("+sel("driftwatch_kafka_consumer_lag_messages", m)+")", "lag")).
			Thresholds(thresholds(colorOK, step{lagFloor, colorWarn})).
			Links(v.runbook(alertConsumerLagGrowing)))
	}
	stats = append(stats, statPanel("Drift window age", "Time since the end of the latest published drift window: how stale the drift panels are."+windowAgeNote(v),
		unitSeconds, instant("A", windowAge(m, "drift"), "age")).
		Thresholds(windowAgeThresholds(v)))
	out := make([]panel, len(stats))
	for i, w := range spread(len(stats)) {
		out[i] = stats[i].Span(w)
	}
	return out
}

// acceptedRate is the rate of accepted prediction events of the models
// the matcher selects.
func acceptedRate(model string) string {
	return "sum(" + rate(sel("driftwatch_events_consumed_total", model, eq("stream", "predictions"), eq("outcome", "accepted"))) + ")"
}

// windowAge is the time since the end of the latest window of a kind.
func windowAge(model, window string) string {
	return "time() - max(" + sel("driftwatch_window_end_timestamp_seconds", model, eq("window", window)) + ")"
}

// joinRateThresholds colours a label coverage or join rate red below
// min_label_join_rate, or not at all when the alert is off.
func joinRateThresholds(minRate float64) *thresholdsBuilder {
	if minRate <= 0 {
		return thresholds(colorNeutral)
	}
	return thresholds(colorBad, step{minRate, colorOK})
}

// windowAgeThresholds turns a time window's age orange once two windows'
// time has passed without a new one. Count windows close when enough
// events arrive, so their age has no limit.
func windowAgeThresholds(v *modelView) *thresholdsBuilder {
	if v.cfg.Window.Size <= 0 {
		return thresholds(colorNeutral)
	}
	limit := 2 * (v.cfg.Window.Size + v.cfg.Window.AllowedLateness)
	return thresholds(colorOK, step{limit.Seconds(), colorWarn})
}

func windowAgeNote(v *modelView) string {
	if v.cfg.Window.Size <= 0 {
		return " Count windows close when enough events arrive, so no age is too old."
	}
	return " Orange after two windows with their allowed lateness."
}
