package triggers

import (
	"fmt"
	"hash/fnv"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// compiledRule is a trigger rule ready to match alerts and compute
// schedules.
type compiledRule struct {
	Rule
	model    string // the pipeline's model
	regex    map[string]*regexp.Regexp
	schedule cron.Schedule // nil without a schedule
}

// compileRules prepares the rules and checks that each names a known
// pipeline.
func compileRules(rules []Rule, pipelines map[string]string) ([]*compiledRule, error) {
	out := make([]*compiledRule, 0, len(rules))
	for _, r := range rules {
		model, ok := pipelines[r.Pipeline]
		if !ok {
			return nil, fmt.Errorf("rule %q: unknown pipeline %q (pipelines: %s)", r.Name, r.Pipeline, listOf(slices.Collect(maps.Keys(pipelines))))
		}
		cr := &compiledRule{Rule: r, model: model, regex: map[string]*regexp.Regexp{}}
		for k, v := range r.MatchRegex {
			re, err := regexp.Compile("^(?:" + v + ")$")
			if err != nil {
				return nil, fmt.Errorf("rule %q: match_regex[%s]: %w", r.Name, k, err)
			}
			cr.regex[k] = re
		}
		if r.Schedule != "" {
			s, err := cron.ParseStandard(r.Schedule)
			if err != nil {
				return nil, fmt.Errorf("rule %q: schedule %q: %w", r.Name, r.Schedule, err)
			}
			cr.schedule = s
		}
		out = append(out, cr)
	}
	return out, nil
}

// selects reports whether the rule's matchers select an alert with these
// labels. A rule without matchers selects none. A missing label has the
// empty value, as in Alertmanager. A rule never selects an alert whose
// model label names another model than its pipeline's: that would
// retrain the wrong model.
func (r *compiledRule) selects(labels map[string]string) bool {
	if len(r.Match) == 0 && len(r.regex) == 0 {
		return false
	}
	if m := labels[labelModel]; m != "" && m != r.model {
		return false
	}
	for k, v := range r.Match {
		if labels[k] != v {
			return false
		}
	}
	for k, re := range r.regex {
		if !re.MatchString(labels[k]) {
			return false
		}
	}
	return true
}

// Labels and annotations the policies read. The generated alerting rules
// (package triggers/rules) set them.
const (
	labelAlertname = "alertname"
	labelModel     = "model"
	labelFeature   = "feature"
	// labelTrigger names the trigger rules that selected the alert when
	// the alerting rules were generated. The configured matchers decide;
	// a disagreement is logged, since it means stale rules.
	labelTrigger = "driftwatch_trigger"
	// labelDriftedFeatures is a label or annotation with the number of
	// drifted features, for alerts about a model as a whole.
	labelDriftedFeatures = "drifted_features"

	alertFeatureDrift = "DriftwatchFeatureDrift"
	alertDatasetDrift = "DriftwatchDatasetDrift"
)

// runRequest is a trigger that passed matching and asks for a run.
type runRequest struct {
	key           string
	origin        Origin
	rule          string
	pipeline      string
	model         string
	reason        string
	params        map[string]string
	alertLabels   map[string]string
	requestedBy   string
	cooldown      time.Duration // 0: no cooldown check
	maxConcurrent int
	silence       bool
}

// request applies cooldown and concurrency to a run request and queues a
// run if both allow it. It is the one policy path of alerts, schedules
// and manual requests.
func (t *txn) request(q runRequest) (Decision, error) {
	d := Decision{Key: q.key, Origin: q.origin, Rule: q.rule, Model: q.model}
	if q.cooldown > 0 {
		var cd cooldownRecord
		found, err := t.tx.Get(bucketCooldowns, q.pipeline, &cd)
		if err != nil {
			return d, err
		}
		if until := cd.EndedAt.Add(q.cooldown); found && t.now.Before(until) {
			d.Outcome = OutcomeCooldown
			d.Reason = fmt.Sprintf("run %s of pipeline %s ended at %s; the cooldown of %s lasts until %s",
				cd.RunID, q.pipeline, stamp(cd.EndedAt), q.cooldown, stamp(until))
			return d, t.decide(d)
		}
	}
	running, queued, ofModel, err := t.counts(q.model)
	if err != nil {
		return d, err
	}
	if ofModel >= q.maxConcurrent {
		d.Outcome = OutcomeConcurrency
		d.Reason = fmt.Sprintf("model %s already has %d run(s) queued or running, at its limit of %d (max_concurrent)", q.model, ofModel, q.maxConcurrent)
		return d, t.decide(d)
	}
	run, err := t.newRun(q)
	if err != nil {
		return d, err
	}
	d.RunID = run.ID
	if limit := t.e.cfg.MaxConcurrentRuns; running+queued < limit {
		d.Outcome = OutcomeStarted
		d.Reason = fmt.Sprintf("run %s of pipeline %s requested (%s); a slot is free: %d of max_concurrent_runs %d running", run.ID, q.pipeline, q.reason, running, limit)
	} else {
		d.Outcome = OutcomeQueued
		d.Reason = fmt.Sprintf("run %s of pipeline %s queued (%s) behind %d queued run(s); %d of max_concurrent_runs %d running", run.ID, q.pipeline, q.reason, queued, running, limit)
	}
	return d, t.decide(d)
}

// newRun queues a run.
func (t *txn) newRun(q runRequest) (Run, error) {
	seq, err := t.tx.NextSequence(bucketRuns)
	if err != nil {
		return Run{}, err
	}
	r := Run{
		ID: runID(t.now, seq), Seq: seq, Model: q.model, Pipeline: q.pipeline, Rule: q.rule,
		Origin: q.origin, Reason: q.reason, Params: q.params, AlertLabels: q.alertLabels,
		TriggerKey: q.key, RequestedBy: q.requestedBy, State: RunQueued, CreatedAt: t.now, Silence: q.silence,
	}
	return r, t.saveRun(r)
}

// runID is sortable by creation time, unique by its sequence number, and
// valid in a Kubernetes object name: digits and dashes only.
func runID(now time.Time, seq uint64) string {
	return fmt.Sprintf("%s-%06d", now.UTC().Format("20060102-150405"), seq)
}

// isDriftAlert reports whether min_drifted_features applies to an alert:
// per-feature drift alerts, dataset drift alerts, and any alert that
// reports a drifted feature count.
func isDriftAlert(a Alert) bool {
	_, _, counted := reportedCount(a)
	name := a.Labels[labelAlertname]
	return counted || a.Labels[labelFeature] != "" || name == alertFeatureDrift || name == alertDatasetDrift
}

// reportedCount returns the drifted feature count that an alert reports in
// its drifted_features label or annotation. A value that is not a
// non-negative integer is ignored, and reported as bad.
func reportedCount(a Alert) (n int, bad string, ok bool) {
	for _, src := range []map[string]string{a.Labels, a.Annotations} {
		v, found := src[labelDriftedFeatures]
		if !found {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return 0, v, false
		}
		return n, "", true
	}
	return 0, "", false
}

// driftedFeatures counts a model's drifted features for an alert: the
// count the alert reports, or else the distinct features of the model's
// firing per-feature alerts, in this notification and in earlier ones
// seen within FeatureAlertTTL. It also says where the count came from.
func (t *txn) driftedFeatures(model string, a Alert) (int, string, error) {
	if n, _, ok := reportedCount(a); ok {
		return n, "the alert's " + labelDriftedFeatures, nil
	}
	features, err := t.firingFeatures(model)
	if err != nil {
		return 0, "", err
	}
	if len(features) == 0 {
		return 0, "no firing feature alerts of the model", nil
	}
	return len(features), "firing feature alerts: " + strings.Join(features, ", "), nil
}

// fingerprint is the fingerprint Prometheus and Alertmanager give a label
// set (model.LabelSet.Fingerprint): FNV-1a over the sorted names and
// values, each followed by the byte 255.
func fingerprint(labels map[string]string) string {
	h := fnv.New64a()
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		h.Write([]byte(k))
		h.Write([]byte{255})
		h.Write([]byte(labels[k]))
		h.Write([]byte{255})
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

// stamp formats a time for reasons.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// listOf lists names for messages, sorted.
func listOf(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(slices.Sorted(slices.Values(names)), ", ")
}
