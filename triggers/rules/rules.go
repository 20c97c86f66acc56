package rules

import (
	"errors"
	"fmt"
	"time"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/triggers"
)

// Windows and floors that the configuration does not set. docs/alerting.md
// quotes them.
const (
	// JoinRateWindow is the range over which the label join outcomes of a
	// model are rated.
	JoinRateWindow = time.Hour
	// LagWindow is the range over which the slope of a model's Kafka
	// consumer lag is estimated.
	LagWindow = 10 * time.Minute
	// LagFloor is the total consumer lag, in messages, at or below which a
	// growing lag does not alert: a consumer that is only a few fetches
	// behind is healthy.
	LagFloor = 1000
)

// Input is the part of the configuration that the rules are generated
// from.
type Input struct {
	// Settings shapes every alert: for, keep_firing_for, severity, the
	// stalled-input range, the minimum label join rate and the links.
	Settings triggers.RulesConfig
	// Models get one rule group each, in this order.
	Models []collectors.ModelConfig
	// Triggers are matched against each alert's static labels to fill in
	// the driftwatch_trigger label.
	Triggers []triggers.Rule
}

// File is a Prometheus rule file.
type File struct {
	Groups []Group `yaml:"groups"`
}

// Group is a rule group: Prometheus evaluates its rules in order, so
// recording rules come before the alerts that read them.
type Group struct {
	Name  string `yaml:"name"`
	Rules []Rule `yaml:"rules"`
}

// Rule is a recording rule (Record set) or an alerting rule (Alert set).
// Durations are in Prometheus's syntax, such as 5m or 1h30m.
type Rule struct {
	Record        string            `yaml:"record,omitempty"`
	Alert         string            `yaml:"alert,omitempty"`
	Expr          string            `yaml:"expr"`
	For           string            `yaml:"for,omitempty"`
	KeepFiringFor string            `yaml:"keep_firing_for,omitempty"`
	Labels        map[string]string `yaml:"labels,omitempty"`
	Annotations   map[string]string `yaml:"annotations,omitempty"`
}

// The names of the generated alerts. Each is also the anchor of its
// section in the runbook, in lower case.
const (
	FeatureDrift          = "DriftwatchFeatureDrift"
	DatasetDrift          = "DriftwatchDatasetDrift"
	QualityBelowThreshold = "DriftwatchQualityBelowThreshold"
	InputStalled          = "DriftwatchInputStalled"
	ConsumerLagGrowing    = "DriftwatchConsumerLagGrowing"
	LabelJoinRateLow      = "DriftwatchLabelJoinRateLow"
)

// Names the expressions and labels use.
const (
	triggerLabel         = "driftwatch_trigger"
	lagRecord            = "model:driftwatch_kafka_consumer_lag_messages:sum"
	joinRateRecordPrefix = "model:driftwatch_labels_join:ratio_rate"
	predictionsStream    = "predictions"
	acceptedOutcome      = "accepted"
	// joinDenominatorOutcomes are the label join outcomes that end a
	// prediction's or a label's wait; duplicates are left out.
	joinDenominatorOutcomes = "joined|unmatched|evicted_ttl|evicted_capacity"
)

// Generate builds the rule groups for every model in the input. The output
// depends only on the input, so it can be compared with a golden file.
func Generate(in Input) (File, error) {
	if err := in.Settings.Validate(); err != nil {
		return File{}, fmt.Errorf("prometheus.rules: %w", err)
	}
	g, err := newGenerator(in)
	if err != nil {
		return File{}, err
	}
	f := File{Groups: make([]Group, 0, len(in.Models))}
	var errs []error
	for _, m := range in.Models {
		grp, err := g.group(m)
		if err != nil {
			errs = append(errs, fmt.Errorf("model %s: %w", m.Name, err))
			continue
		}
		f.Groups = append(f.Groups, grp)
	}
	if err := errors.Join(errs...); err != nil {
		return File{}, err
	}
	return f, nil
}

// generator holds what every model's rules share.
type generator struct {
	settings                  triggers.RulesConfig
	forDur, keepFiring, stale string
	matchers                  []triggerMatcher
}

func newGenerator(in Input) (*generator, error) {
	g := &generator{settings: in.Settings}
	var errs []error
	for _, d := range []struct {
		name string
		in   time.Duration
		out  *string
	}{
		{"for", in.Settings.For, &g.forDur},
		{"keep_firing_for", in.Settings.KeepFiringFor, &g.keepFiring},
		{"stale_after", in.Settings.StaleAfter, &g.stale},
	} {
		s, err := Duration(d.in)
		if err != nil {
			errs = append(errs, fmt.Errorf("prometheus.rules.%s: %w", d.name, err))
		}
		*d.out = s
	}
	matchers, err := compileTriggers(in.Triggers)
	if err != nil {
		errs = append(errs, err)
	}
	g.matchers = matchers
	return g, errors.Join(errs...)
}

// group returns the rules of one model: recording rules first, then the
// alerts in a fixed order.
func (g *generator) group(m collectors.ModelConfig) (Group, error) {
	var records, alerts []Rule
	alerts = append(alerts, g.featureDrift(m), g.datasetDrift(m))
	for _, q := range m.Quality.Metrics {
		alerts = append(alerts, g.qualityBelowThreshold(m, q))
	}
	alerts = append(alerts, g.inputStalled(m))
	if m.Source.Type == collectors.SourceKafka {
		records = append(records, lagRecording(m))
		alerts = append(alerts, g.consumerLagGrowing(m))
	}
	if m.Label.Enabled && g.settings.MinLabelJoinRate > 0 {
		records = append(records, joinRateRecording(m))
		alerts = append(alerts, g.labelJoinRateLow(m))
	}
	for i := range alerts {
		if err := g.finish(&alerts[i], m.Name); err != nil {
			return Group{}, fmt.Errorf("%s: %w", alerts[i].Alert, err)
		}
	}
	return Group{Name: "driftwatch-" + m.Name, Rules: append(records, alerts...)}, nil
}
