package monitor

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// collector exports the snapshots of a Store. Every metric comes from an
// immutable snapshot (or, for the consumer lag, from the model's LagFunc)
// at scrape time, so a model removed from the store leaves no series
// behind. docs/metrics.md describes each metric; a test keeps the two in
// step.
type collector struct {
	store *Store

	eventsConsumed, eventsRejected *prometheus.Desc

	featureStatistic, featurePValue, featureThreshold, featureDrifted, featureMissing *prometheus.Desc
	predStatistic, predPValue, predThreshold, predDrifted                             *prometheus.Desc
	datasetShare, datasetDrifted                                                      *prometheus.Desc

	qualityValue, qualityThreshold, qualityBreached *prometheus.Desc

	labelsJoin, labelsDelay, labelsCoverage, labelsBuffered *prometheus.Desc

	windowEnd, windowEvents, windowClosed *prometheus.Desc

	consumerLag *prometheus.Desc
}

var _ prometheus.Collector = (*collector)(nil)

func newCollector(s *Store) *collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("driftwatch_"+name, help, append([]string{"model"}, labels...), nil)
	}
	return &collector{
		store: s,

		eventsConsumed: d("events_consumed_total", "Events consumed, by stream and outcome (accepted, rejected, late).", "stream", "outcome"),
		eventsRejected: d("events_rejected_total", "Events rejected, by reason.", "reason"),

		featureStatistic: d("drift_feature_statistic", "Drift statistic or distance of a feature in the latest drift window.", "feature", "method"),
		featurePValue:    d("drift_feature_p_value", "P-value of a feature's drift test in the latest drift window, after the configured correction; only for hypothesis tests.", "feature", "method"),
		featureThreshold: d("drift_feature_threshold", "Threshold a feature's statistic or p-value is compared with.", "feature", "method"),
		featureDrifted:   d("drift_feature_drifted", "Whether a feature drifted in the latest drift window (1) or not (0).", "feature", "method"),
		featureMissing:   d("drift_feature_missing_ratio", "Share of a feature's values that were missing in the latest drift window.", "feature"),
		predStatistic:    d("drift_prediction_statistic", "Drift statistic or distance of the prediction in the latest drift window.", "method"),
		predPValue:       d("drift_prediction_p_value", "P-value of the prediction's drift test in the latest drift window; only for hypothesis tests.", "method"),
		predThreshold:    d("drift_prediction_threshold", "Threshold the prediction's statistic or p-value is compared with.", "method"),
		predDrifted:      d("drift_prediction_drifted", "Whether the prediction drifted in the latest drift window (1) or not (0).", "method"),
		datasetShare:     d("drift_dataset_drifted_features_ratio", "Share of tested features that drifted in the latest drift window."),
		datasetDrifted:   d("drift_dataset_drifted", "Whether the share of drifted features reached drift.dataset_share in the latest drift window (1) or not (0)."),

		qualityValue:     d("quality_value", "Quality metric over the latest quality window, when defined.", "metric"),
		qualityThreshold: d("quality_threshold", "Configured alerting threshold of a quality metric.", "metric"),
		qualityBreached:  d("quality_breached", "Whether the quality metric is worse than its threshold in the latest quality window (1) or not (0).", "metric"),

		labelsJoin:     d("labels_join_total", "Label join results: labels joined, duplicate or unmatched, and predictions evicted unlabelled by TTL or capacity.", "outcome"),
		labelsDelay:    d("labels_delay_seconds", "Label event time minus prediction event time, for joined labels."),
		labelsCoverage: d("labels_coverage_ratio", "Share of predictions that found their label among those whose wait is over (joined or evicted), since the monitor started."),
		labelsBuffered: d("labels_buffered_predictions", "Predictions held by the label join, waiting for a label or kept to detect duplicates."),

		windowEnd:    d("window_end_timestamp_seconds", "End of the latest published window, as a Unix time.", "window"),
		windowEvents: d("window_events", "Events (drift) or joined pairs (quality) in the latest published window.", "window"),
		windowClosed: d("window_closed_total", "Windows closed, by outcome (evaluated, skipped, failed, discarded).", "window", "outcome"),

		consumerLag: d("kafka_consumer_lag_messages", "Messages in a partition not yet delivered to the monitor.", "topic", "partition"),
	}
}

// Describe sends every descriptor.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.eventsConsumed, c.eventsRejected,
		c.featureStatistic, c.featurePValue, c.featureThreshold, c.featureDrifted, c.featureMissing,
		c.predStatistic, c.predPValue, c.predThreshold, c.predDrifted, c.datasetShare, c.datasetDrifted,
		c.qualityValue, c.qualityThreshold, c.qualityBreached,
		c.labelsJoin, c.labelsDelay, c.labelsCoverage, c.labelsBuffered,
		c.windowEnd, c.windowEvents, c.windowClosed,
		c.consumerLag,
	} {
		ch <- d
	}
}

// Collect sends the metrics of every model in the store.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	for _, e := range c.store.entries() {
		s := e.snap.Load()
		if s == nil {
			continue
		}
		c.collectEvents(ch, s)
		c.collectDrift(ch, s)
		c.collectQuality(ch, s)
		c.collectLabels(ch, s)
		c.collectWindows(ch, s)
		if e.lag != nil {
			for _, l := range e.lag() {
				ch <- gauge(c.consumerLag, float64(l.Messages), s.Model, l.Topic, strconv.Itoa(int(l.Partition)))
			}
		}
	}
}

func (c *collector) collectEvents(ch chan<- prometheus.Metric, s *Snapshot) {
	for i, st := range streams {
		if !c.reads(s, i) {
			continue
		}
		for j, o := range outcomes {
			ch <- counter(c.eventsConsumed, s.counts.events[i][j], s.Model, string(st), string(o))
		}
	}
	for i, r := range Reasons() {
		ch <- counter(c.eventsRejected, s.counts.rejections[i], s.Model, string(r))
	}
}

// reads reports whether the model reads stream i, or has seen its events
// anyway.
func (c *collector) reads(s *Snapshot, i int) bool {
	for _, st := range s.streams {
		if st == streams[i] {
			return true
		}
	}
	for _, n := range s.counts.events[i] {
		if n > 0 {
			return true
		}
	}
	return false
}

func (c *collector) collectDrift(ch chan<- prometheus.Metric, s *Snapshot) {
	r := s.Drift
	if r == nil || r.Skipped {
		return
	}
	for _, f := range r.Features {
		m := string(f.Method)
		ch <- gauge(c.featureStatistic, f.Statistic, s.Model, f.Feature, m)
		if f.Method.UsesPValue() {
			ch <- gauge(c.featurePValue, f.AdjustedPValue, s.Model, f.Feature, m)
		}
		ch <- gauge(c.featureThreshold, f.Threshold, s.Model, f.Feature, m)
		ch <- gauge(c.featureDrifted, flag(f.Drift), s.Model, f.Feature, m)
		ch <- gauge(c.featureMissing, f.MissingShareCurrent, s.Model, f.Feature)
	}
	if p := r.Prediction; p != nil {
		m := string(p.Method)
		ch <- gauge(c.predStatistic, p.Statistic, s.Model, m)
		if p.Method.UsesPValue() {
			ch <- gauge(c.predPValue, p.AdjustedPValue, s.Model, m)
		}
		ch <- gauge(c.predThreshold, p.Threshold, s.Model, m)
		ch <- gauge(c.predDrifted, flag(p.Drift), s.Model, m)
	}
	ch <- gauge(c.datasetShare, r.Dataset.Share, s.Model)
	ch <- gauge(c.datasetDrifted, flag(r.Dataset.Drift), s.Model)
}

func (c *collector) collectQuality(ch chan<- prometheus.Metric, s *Snapshot) {
	q := s.Quality
	if q == nil {
		return
	}
	for _, m := range q.Metrics {
		ch <- gauge(c.qualityThreshold, m.Threshold, s.Model, string(m.Metric))
		if m.Defined {
			ch <- gauge(c.qualityValue, m.Value, s.Model, string(m.Metric))
			ch <- gauge(c.qualityBreached, flag(m.Breached), s.Model, string(m.Metric))
		}
	}
}

func (c *collector) collectLabels(ch chan<- prometheus.Metric, s *Snapshot) {
	if !s.labels {
		return
	}
	for i, o := range JoinOutcomes() {
		ch <- counter(c.labelsJoin, s.counts.join[i], s.Model, string(o))
	}
	h := s.counts.delay
	cumulative := make(map[float64]uint64, len(delayBuckets))
	var n uint64
	for i, bound := range delayBuckets {
		n += h.buckets[i]
		cumulative[bound] = n
	}
	ch <- prometheus.MustNewConstHistogram(c.labelsDelay, h.count, h.sum, cumulative, s.Model)
	if cov, ok := s.Coverage(); ok {
		ch <- gauge(c.labelsCoverage, cov, s.Model)
	}
	ch <- gauge(c.labelsBuffered, float64(s.Buffered), s.Model)
}

func (c *collector) collectWindows(ch chan<- prometheus.Metric, s *Snapshot) {
	for i, k := range windowKinds {
		if k == QualityWindow && !s.labels {
			continue
		}
		for j, o := range windowOutcomes {
			ch <- counter(c.windowClosed, s.counts.windows[i][j], s.Model, string(k), string(o))
		}
	}
	if r := s.Drift; r != nil {
		ch <- gauge(c.windowEnd, unixSeconds(r.End), s.Model, string(DriftWindow))
		ch <- gauge(c.windowEvents, float64(r.Events), s.Model, string(DriftWindow))
	}
	if q := s.Quality; q != nil {
		ch <- gauge(c.windowEnd, unixSeconds(q.End), s.Model, string(QualityWindow))
		ch <- gauge(c.windowEvents, float64(q.Pairs), s.Model, string(QualityWindow))
	}
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func gauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func counter(d *prometheus.Desc, v uint64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
}

func flag(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
