package source

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwatch/driftwatch/collectors/kafkasource"
)

// Metrics are the sources' own metrics, one set for every model's source.
// The monitor exports the event counts; these say whether each source is
// reading, and how its Kafka commits and dead letters fare.
type Metrics struct {
	ready            *prometheus.GaugeVec
	replayFinished   *prometheus.GaugeVec
	commits          *prometheus.CounterVec
	commitErrors     *prometheus.CounterVec
	deadLetters      *prometheus.CounterVec
	deadLetterErrors *prometheus.CounterVec
}

// NewMetrics builds the sources' metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		return nil, errors.New("source: a prometheus.Registerer is required")
	}
	m := &Metrics{
		ready: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "driftwatch_source_ready",
			Help: "Whether the model's source has started reading (1) or not yet (0): its replay files are open, or its consumer has joined the group.",
		}, []string{"model"}),
		replayFinished: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "driftwatch_source_replay_finished",
			Help: "Whether the model's replay files have been read to the end and its last windows published (1) or not (0). Only for file sources.",
		}, []string{"model"}),
		commits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "driftwatch_kafka_commits_total",
			Help: "Offset commits of the model's consumer group.",
		}, []string{"model"}),
		commitErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "driftwatch_kafka_commit_errors_total",
			Help: "Offset commits that failed; their messages are read again after the next rebalance or restart.",
		}, []string{"model"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "driftwatch_kafka_dead_letters_total",
			Help: "Rejected messages written to the model's dead letter topic, by reason.",
		}, []string{"model", "reason"}),
		deadLetterErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "driftwatch_kafka_dead_letter_errors_total",
			Help: "Rejected messages that could not be written to the dead letter topic.",
		}, []string{"model"}),
	}
	for _, c := range []prometheus.Collector{m.ready, m.replayFinished, m.commits, m.commitErrors, m.deadLetters, m.deadLetterErrors} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("source: register metrics: %w", err)
		}
	}
	return m, nil
}

// initFile exports a file source's series at zero.
func (m *Metrics) initFile(model string) {
	m.ready.WithLabelValues(model).Set(0)
	m.replayFinished.WithLabelValues(model).Set(0)
}

// initFeed exports an embedded source's series at zero. It has no
// replay, so no driftwatch_source_replay_finished.
func (m *Metrics) initFeed(model string) {
	m.ready.WithLabelValues(model).Set(0)
}

// initKafka exports a Kafka source's series at zero.
func (m *Metrics) initKafka(model string) {
	m.ready.WithLabelValues(model).Set(0)
	m.commits.WithLabelValues(model)
	m.commitErrors.WithLabelValues(model)
	m.deadLetterErrors.WithLabelValues(model)
	for _, r := range kafkasource.Reasons() {
		m.deadLetters.WithLabelValues(model, string(r))
	}
}

// Forget removes a model's series, when its source is gone for good.
func (m *Metrics) Forget(model string) {
	l := prometheus.Labels{"model": model}
	m.ready.DeletePartialMatch(l)
	m.replayFinished.DeletePartialMatch(l)
	m.commits.DeletePartialMatch(l)
	m.commitErrors.DeletePartialMatch(l)
	m.deadLetters.DeletePartialMatch(l)
	m.deadLetterErrors.DeletePartialMatch(l)
}
