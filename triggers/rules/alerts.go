package rules

import (
	"fmt"

	"github.com/driftwatch/driftwatch/collectors"
)

// featureDrift fires once per drifted feature: the drifted flag already
// encodes the feature's method and threshold, and the statistic is
// returned so that the description can quote it.
func (g *generator) featureDrift(m collectors.ModelConfig) Rule {
	return Rule{
		Alert: FeatureDrift,
		Expr: selector("driftwatch_drift_feature_statistic", "model", m.Name) +
			"\n  and " + selector("driftwatch_drift_feature_drifted", "model", m.Name) + " == 1",
		Annotations: map[string]string{
			"summary": "Feature {{ $labels.feature }} of model " + m.Name + " drifted",
			"description": "Feature {{ $labels.feature }} of model " + m.Name +
				" drifted in the latest drift window: its {{ $labels.method }} statistic is {{ $value | printf \"%.4g\" }}.",
		},
	}
}

// datasetDrift fires when the share of drifted features reaches the
// model's drift.dataset_share.
func (g *generator) datasetDrift(m collectors.ModelConfig) Rule {
	share := number(m.Drift.DatasetShare)
	return Rule{
		Alert: DatasetDrift,
		Expr:  selector("driftwatch_drift_dataset_drifted_features_ratio", "model", m.Name) + " >= " + share,
		Annotations: map[string]string{
			"summary": "Model " + m.Name + " drifted as a whole",
			"description": "{{ $value | humanizePercentage }} of the tested features of model " + m.Name +
				" drifted in the latest drift window, at or above drift.dataset_share (" + share + ").",
		},
	}
}

// qualityBelowThreshold fires when driftwatch judges a quality metric
// worse than its threshold. The breached flag knows the metric's direction
// and treats NaN as a breach; the value is returned for the description.
func (g *generator) qualityBelowThreshold(m collectors.ModelConfig, q collectors.QualityMetricConfig) Rule {
	metric, th := string(q.Metric), number(q.Threshold)
	side := "below"
	if !q.Metric.HigherIsBetter() {
		side = "above"
	}
	return Rule{
		Alert: QualityBelowThreshold,
		Expr: selector("driftwatch_quality_value", "model", m.Name, "metric", metric) +
			"\n  and " + selector("driftwatch_quality_breached", "model", m.Name, "metric", metric) + " == 1",
		Labels: map[string]string{"metric": metric},
		Annotations: map[string]string{
			"summary": "Quality metric " + metric + " of model " + m.Name + " is " + side + " its threshold",
			"description": metric + " of model " + m.Name + " is {{ $value | printf \"%.4g\" }} in the latest quality window, " +
				side + " its threshold " + th + ".",
		},
	}
}

// inputStalled fires when a model accepted no prediction events over
// stale_after, or exports no such counter at all. Both branches are
// aggregated to the model label and valued 0, so the alert keeps one
// identity whichever branch holds.
func (g *generator) inputStalled(m collectors.ModelConfig) Rule {
	accepted := selector("driftwatch_events_consumed_total", "model", m.Name, "outcome", acceptedOutcome, "stream", predictionsStream)
	return Rule{
		Alert: InputStalled,
		Expr: fmt.Sprintf("sum by (model) (increase(%s[%s])) == 0\nor\nsum by (model) (absent(%s)) * 0",
			accepted, g.stale, accepted),
		Annotations: map[string]string{
			"summary": "Model " + m.Name + " accepted no predictions for " + g.stale,
			"description": "Model " + m.Name + " accepted {{ $value | humanize }} prediction events in the last " + g.stale +
				": its source stopped, driftwatch is not running, or every event is rejected or late. Its windows and scores are not advancing.",
		},
	}
}

// lagRecording sums a Kafka model's lag over its topics and partitions.
// Recording rules carry the model as a static label too, so that each
// model's copy of a record is a distinct rule.
func lagRecording(m collectors.ModelConfig) Rule {
	return Rule{
		Record: lagRecord,
		Labels: map[string]string{"model": m.Name},
		Expr:   "sum by (model) (" + selector("driftwatch_kafka_consumer_lag_messages", "model", m.Name) + ")",
	}
}

// consumerLagGrowing fires when a Kafka model's total lag is above
// LagFloor and rose over LagWindow. The lag comes first so that the
// description quotes it rather than its slope.
func (g *generator) consumerLagGrowing(m collectors.ModelConfig) Rule {
	lag := selector(lagRecord, "model", m.Name)
	window := mustDuration(LagWindow)
	return Rule{
		Alert: ConsumerLagGrowing,
		Expr:  fmt.Sprintf("%s > %d\n  and deriv(%s[%s]) > 0", lag, LagFloor, lag, window),
		Annotations: map[string]string{
			"summary": "Kafka consumer lag of model " + m.Name + " is growing",
			"description": "The Kafka consumer lag of model " + m.Name + " is {{ $value | humanize }} messages and grew over the last " +
				window + ": driftwatch is falling behind its topics.",
		},
	}
}

// joinRateRecording is the share of a model's label join outcomes that
// were joins over JoinRateWindow: joined / (joined + unmatched + evicted).
// Duplicates are left out, since they say nothing about coverage.
func joinRateRecording(m collectors.ModelConfig) Rule {
	window := mustDuration(JoinRateWindow)
	rate := func(op, outcomes string) string {
		return fmt.Sprintf("sum by (model) (rate(driftwatch_labels_join_total{model=%q,outcome%s%q}[%s]))", m.Name, op, outcomes, window)
	}
	return Rule{
		Record: joinRateRecordPrefix + window,
		Labels: map[string]string{"model": m.Name},
		Expr:   rate("=", "joined") + "\n/\n" + rate("=~", joinDenominatorOutcomes),
	}
}

// labelJoinRateLow fires when the join rate is below
// min_label_join_rate. With no join outcomes at all the rate is NaN and the
// alert stays quiet; the stalled-input alert covers a silent model.
func (g *generator) labelJoinRateLow(m collectors.ModelConfig) Rule {
	window := mustDuration(JoinRateWindow)
	minRate := number(g.settings.MinLabelJoinRate)
	return Rule{
		Alert: LabelJoinRateLow,
		Expr:  selector(joinRateRecordPrefix+window, "model", m.Name) + " < " + minRate,
		Annotations: map[string]string{
			"summary": "Few predictions of model " + m.Name + " find their labels",
			"description": "Only {{ $value | humanizePercentage }} of the label join outcomes of model " + m.Name + " in the last " + window +
				" were joins, below min_label_join_rate (" + minRate + "): labels arrive without their predictions, or predictions are evicted before their labels arrive.",
		},
	}
}
