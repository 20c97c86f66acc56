package dashboards

// kafkaPanels show a Kafka model's consumer: its lag, its offset commits
// and its dead letters. Models that replay files have none.
func kafkaPanels(v *modelView) []panel {
	if !v.kafka() {
		return nil
	}
	m := ofModel()
	return []panel{
		timeseriesPanel("Consumer lag by partition",
			"Messages in each partition that the model's consumer has not read yet, as of its last fetch. The lag alert waits until the total is above "+
				number(lagFloor)+" and growing.",
			unitCount,
			query(by("max", labels("topic", "partition"), sel("driftwatch_kafka_consumer_lag_messages", m)), "{{topic}}/{{partition}}")).
			Span(thirdWidth).
			Thresholds(thresholds(colorOK, step{lagFloor, colorWarn})).
			ThresholdsStyle(dashedThresholds()).
			Links(v.runbook(alertConsumerLagGrowing)),
		timeseriesPanel("Offset commits",
			"Offset commits of the model's consumer group per second, and failed commits, whose messages are read again after the next rebalance or restart.",
			unitPerSecond,
			refQuery("A", "sum("+rate(sel("driftwatch_kafka_commits_total", m))+")", "commits"),
			refQuery("B", "sum("+rate(sel("driftwatch_kafka_commit_errors_total", m))+")", "failed commits")).
			Span(thirdWidth).
			OverrideByQuery("B", fixedColor(colorBad)),
		timeseriesPanel("Dead letters",
			"Rejected messages written to the dead letter topic per second, by reason, and those that could not be written.",
			unitPerSecond,
			refQuery("A", by("sum", labels("reason"), rate(sel("driftwatch_kafka_dead_letters_total", m))), "{{reason}}"),
			refQuery("B", "sum("+rate(sel("driftwatch_kafka_dead_letter_errors_total", m))+")", "write errors")).
			Span(thirdWidth).
			OverrideByQuery("B", fixedColor(colorBad)),
	}
}
